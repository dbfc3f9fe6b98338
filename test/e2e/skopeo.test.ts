import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type LayoutImage, writeOciLayout } from "../support/ocilayout.ts";
import {
  buildBinary,
  freePort,
  requireTools,
  run,
  type ServerProcess,
  skopeoDigest,
  startServer,
  tempDir,
  writeConfig,
} from "../support/process.ts";

const enabled = requireTools("skopeo");
const tls = "--tls-verify=false";

describe.skipIf(!enabled)("skopeo against the compiled binary", () => {
  let server: ServerProcess;
  let work: Awaited<ReturnType<typeof tempDir>>;
  let image: LayoutImage;

  beforeAll(async () => {
    work = await tempDir();
    const binary = await buildBinary();
    const port = await freePort();
    const config = await writeConfig(work.path, port, join(work.path, "data"));
    server = await startServer([binary, "serve", config], port);
    image = await writeOciLayout(join(work.path, "image"), {
      layers: 3,
      layerSize: 256 * 1024,
      seed: 42,
    });
  });

  afterAll(async () => {
    await server?.stop();
    await work?.cleanup();
  });

  const ref = (path: string) => `docker://${server.host}/${path}`;
  const inspectDigest = (path: string) => skopeoDigest(ref(path));

  test("push an OCI image and pull it back byte-identical", async () => {
    await run([
      "skopeo",
      "copy",
      "--dest-tls-verify=false",
      `oci:${image.dir}:${image.tag}`,
      ref("e2e/oci:v1"),
    ]);
    expect(await inspectDigest("e2e/oci:v1")).toBe(image.manifestDigest);
    const out = join(work.path, "pulled-oci");
    await run(["skopeo", "copy", "--src-tls-verify=false", ref("e2e/oci:v1"), `oci:${out}:v1`]);
    const index = JSON.parse(await readFile(join(out, "index.json"), "utf8")) as {
      manifests: { digest: string }[];
    };
    expect(index.manifests[0]?.digest).toBe(image.manifestDigest);
    for (const layer of image.layerDigests) {
      const original = await readFile(join(image.dir, "blobs", "sha256", layer.slice(7)));
      const pulled = await readFile(join(out, "blobs", "sha256", layer.slice(7)));
      expect(pulled.equals(original)).toBe(true);
    }
  });

  test("push a Docker schema2 image and pull it back", async () => {
    await run([
      "skopeo",
      "copy",
      "--format",
      "v2s2",
      "--dest-tls-verify=false",
      `oci:${image.dir}:${image.tag}`,
      ref("e2e/docker:v1"),
    ]);
    const raw = JSON.parse(
      await run(["skopeo", "inspect", tls, "--raw", ref("e2e/docker:v1")]),
    ) as { mediaType: string };
    expect(raw.mediaType).toBe("application/vnd.docker.distribution.manifest.v2+json");
    const digest = await inspectDigest("e2e/docker:v1");
    const out = join(work.path, "pulled-docker");
    await run(["skopeo", "copy", "--src-tls-verify=false", ref("e2e/docker:v1"), `dir:${out}`]);
    const pulledManifest = await readFile(join(out, "manifest.json"));
    expect(`sha256:${new Bun.CryptoHasher("sha256").update(pulledManifest).digest("hex")}`).toBe(
      digest,
    );
  });

  test("copy between two repositories, list tags, delete by digest", async () => {
    await run([
      "skopeo",
      "copy",
      "--src-tls-verify=false",
      "--dest-tls-verify=false",
      ref("e2e/oci:v1"),
      ref("e2e/copy:v2"),
    ]);
    expect(await inspectDigest("e2e/copy:v2")).toBe(image.manifestDigest);
    const tags = JSON.parse(await run(["skopeo", "list-tags", tls, ref("e2e/copy")])) as {
      Tags: string[];
    };
    expect(tags.Tags).toEqual(["v2"]);
    await run(["skopeo", "delete", tls, `${ref("e2e/copy")}@${image.manifestDigest}`]);
    const response = await fetch(`${server.url}/v2/e2e/copy/manifests/${image.manifestDigest}`);
    expect(response.status).toBe(404);
    const original = await fetch(`${server.url}/v2/e2e/oci/manifests/v1`, { method: "HEAD" });
    expect(original.status).toBe(200);
  });
});
