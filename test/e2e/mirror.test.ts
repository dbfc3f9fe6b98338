import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type LayoutImage, writeOciLayout } from "../support/ocilayout.ts";
import {
  buildBinary,
  requireTools,
  run,
  type ServerProcess,
  skopeoDigest,
  skopeoPush,
  startMirrorPair,
  tempDir,
} from "../support/process.ts";

const enabled = requireTools("skopeo");

/** `skopeo copy` through the compiled binary configured as a mirror of a second skiff. */
describe.skipIf(!enabled)("skopeo through the mirror", () => {
  let work: Awaited<ReturnType<typeof tempDir>>;
  let upstream: ServerProcess;
  let mirror: ServerProcess;
  let image: LayoutImage;

  beforeAll(async () => {
    work = await tempDir();
    const binary = await buildBinary();
    const pair = await startMirrorPair(binary, work.path, "upstream.test");
    upstream = pair.upstream;
    mirror = pair.mirror;
    image = await writeOciLayout(join(work.path, "image"), {
      layers: 3,
      layerSize: 512 * 1024,
      seed: 11,
    });
    await skopeoPush(image, `docker://${upstream.host}/org/app:v1`);
  });

  afterAll(async () => {
    await mirror?.stop();
    await upstream?.stop();
    await work?.cleanup();
  });

  test("pull through the mirror by prefix, byte-identical, then served from the mirror alone", async () => {
    const out = join(work.path, "pulled");
    await run([
      "skopeo",
      "copy",
      "--src-tls-verify=false",
      `docker://${mirror.host}/upstream.test/org/app:v1`,
      `oci:${out}:v1`,
    ]);
    const index = JSON.parse(await readFile(join(out, "index.json"), "utf8")) as {
      manifests: { digest: string }[];
    };
    expect(index.manifests[0]?.digest).toBe(image.manifestDigest);
    for (const layer of image.layerDigests) {
      const pulled = await readFile(join(out, "blobs", "sha256", layer.slice(7)));
      expect(`sha256:${new Bun.CryptoHasher("sha256").update(pulled).digest("hex")}`).toBe(layer);
    }
    await upstream.stop();
    const again = join(work.path, "pulled-offline");
    await run([
      "skopeo",
      "copy",
      "--src-tls-verify=false",
      `docker://${mirror.host}/upstream.test/org/app:v1`,
      `oci:${again}:v1`,
    ]);
  });

  test("a hosted namespace on the same instance takes pushes", async () => {
    await run([
      "skopeo",
      "copy",
      "--dest-tls-verify=false",
      `oci:${image.dir}:${image.tag}`,
      `docker://${mirror.host}/team/app:v1`,
    ]);
    const digest = await skopeoDigest(`docker://${mirror.host}/team/app:v1`);
    expect(digest).toBe(image.manifestDigest);
  });
});
