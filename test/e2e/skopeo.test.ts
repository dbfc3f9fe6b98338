import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type LayoutImage,
  type LayoutIndex,
  writeOciIndexLayout,
  writeOciLayout,
} from "../support/ocilayout.ts";
import {
  buildBinary,
  freePort,
  logsOnFailure,
  requireTools,
  run,
  type ServerProcess,
  skopeoDigest,
  startServer,
  tempDir,
  writeConfig,
} from "../support/process.ts";

const enabled = requireTools("skopeo", "tar");
const tls = "--tls-verify=false";
const MiB = 1024 * 1024;

const sha256 = (data: Uint8Array) =>
  `sha256:${new Bun.CryptoHasher("sha256").update(data).digest("hex")}`;

/** The digests of the manifests an OCI layout's `index.json` tags, in order. */
async function layoutManifestDigests(dir: string): Promise<string[]> {
  const index = JSON.parse(await readFile(join(dir, "index.json"), "utf8")) as {
    manifests: { digest: string }[];
  };
  return index.manifests.map((entry) => entry.digest);
}

/** Layer blobs are stored by hex in both `oci:` (blobs/sha256/<hex>) and `dir:` (<hex>) copies. */
async function expectSameBlobs(
  digests: readonly string[],
  from: (hex: string) => string,
  to: (hex: string) => string,
): Promise<void> {
  for (const digest of digests) {
    const hex = digest.slice("sha256:".length);
    const pulled = await readFile(to(hex));
    expect(sha256(pulled)).toBe(digest);
    expect(pulled.equals(await readFile(from(hex)))).toBe(true);
  }
}

describe.skipIf(!enabled)("skopeo against the compiled binary", () => {
  let server: ServerProcess | undefined;
  let work: Awaited<ReturnType<typeof tempDir>>;
  let image: LayoutImage;
  let multi: LayoutIndex;
  const logged = logsOnFailure(() => [server]);

  beforeAll(async () => {
    work = await tempDir();
    const binary = await buildBinary();
    const port = await freePort();
    const config = await writeConfig(work.path, port, join(work.path, "data"));
    server = await startServer([binary, "serve", config], port);
    image = await writeOciLayout(join(work.path, "image"), {
      tag: "v1",
      layers: 3,
      layerSize: MiB,
      seed: 42,
    });
    multi = await writeOciIndexLayout(join(work.path, "multi"), { tag: "v1", seed: 9 });
  });

  afterAll(async () => {
    await server?.stop();
    await work?.cleanup();
  });

  const ref = (path: string) => `docker://${server?.host}/${path}`;
  const rawManifest = async (path: string, ...flags: string[]) =>
    new TextEncoder().encode(await run(["skopeo", "inspect", tls, ...flags, "--raw", ref(path)]));
  const copy = (from: string, to: string, ...flags: string[]) =>
    run([
      "skopeo",
      "copy",
      "--src-tls-verify=false",
      "--dest-tls-verify=false",
      ...flags,
      from,
      to,
    ]);
  const layoutBlob = (dir: string) => (hex: string) => join(dir, "blobs", "sha256", hex);

  test(
    "push an OCI image and pull it back byte-identical",
    logged(async () => {
      await copy(`oci:${image.dir}:${image.tag}`, ref("e2e/oci:v1"));
      expect(sha256(await rawManifest("e2e/oci:v1"))).toBe(image.manifestDigest);
      expect(await skopeoDigest(ref("e2e/oci:v1"))).toBe(image.manifestDigest);

      const out = join(work.path, "pulled-oci");
      await copy(ref("e2e/oci:v1"), `oci:${out}:v1`);
      expect(await layoutManifestDigests(out)).toEqual([image.manifestDigest]);
      await expectSameBlobs(
        [...image.layerDigests, image.configDigest],
        layoutBlob(image.dir),
        layoutBlob(out),
      );
      // The layers are real gzip'd tarballs, as a container runtime would unpack them.
      const firstLayer = layoutBlob(out)((image.layerDigests[0] ?? "").slice(7));
      expect((await run(["tar", "-tzf", firstLayer])).trim()).toBe(image.layerFiles[0] ?? "");
    }),
  );

  test(
    "push a Docker schema2 image and pull it back",
    logged(async () => {
      await copy(`oci:${image.dir}:${image.tag}`, ref("e2e/docker:v1"), "--format", "v2s2");
      const raw = await rawManifest("e2e/docker:v1");
      const manifest = JSON.parse(new TextDecoder().decode(raw)) as {
        mediaType: string;
        layers: { digest: string; mediaType: string }[];
      };
      expect(manifest.mediaType).toBe("application/vnd.docker.distribution.manifest.v2+json");
      // Conversion rewrites media types only: the compressed layers are the same blobs.
      expect(manifest.layers.map((layer) => layer.digest)).toEqual(image.layerDigests);
      expect(manifest.layers[0]?.mediaType).toBe(
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
      );
      const digest = await skopeoDigest(ref("e2e/docker:v1"));
      expect(sha256(raw)).toBe(digest);

      const head = await fetch(`${server?.url}/v2/e2e/docker/manifests/v1`, {
        method: "HEAD",
        headers: { Accept: manifest.mediaType },
      });
      expect(head.status).toBe(200);
      expect(head.headers.get("docker-content-digest")).toBe(digest);
      expect(head.headers.get("content-type")).toBe(manifest.mediaType);

      // `dir:` keeps the manifest as served, so its digest must match.
      const out = join(work.path, "pulled-docker");
      await copy(ref("e2e/docker:v1"), `dir:${out}`);
      expect(sha256(await readFile(join(out, "manifest.json")))).toBe(digest);
      await expectSameBlobs(image.layerDigests, layoutBlob(image.dir), (hex) => join(out, hex));
    }),
  );

  test(
    "push a multi-platform index with --all and pull every platform back",
    logged(async () => {
      await copy(`oci:${multi.dir}:${multi.tag}`, ref("e2e/multi:v1"), "--all");
      expect(sha256(await rawManifest("e2e/multi:v1"))).toBe(multi.indexDigest);
      for (const [i, platform] of multi.images.entries()) {
        // Without --all, skopeo resolves the index to one platform's manifest by digest.
        const one = join(work.path, `pulled-platform-${i}`);
        await copy(
          ref("e2e/multi:v1"),
          `dir:${one}`,
          "--override-os",
          platform.platform.os,
          "--override-arch",
          platform.platform.architecture,
          ...(platform.platform.variant ? ["--override-variant", platform.platform.variant] : []),
        );
        expect(sha256(await readFile(join(one, "manifest.json")))).toBe(platform.manifestDigest);
      }

      const out = join(work.path, "pulled-multi");
      await copy(ref("e2e/multi:v1"), `oci:${out}:v1`, "--all");
      expect(await layoutManifestDigests(out)).toEqual([multi.indexDigest]);
      for (const platform of multi.images)
        await expectSameBlobs(
          [platform.manifestDigest, platform.configDigest, ...platform.layerDigests],
          layoutBlob(multi.dir),
          layoutBlob(out),
        );
    }),
  );

  test(
    "copy between two repositories, list tags, delete by digest",
    logged(async () => {
      await copy(`oci:${image.dir}:${image.tag}`, ref("e2e/source:v1"));
      await copy(ref("e2e/source:v1"), ref("e2e/copy:v2"));
      await copy(ref("e2e/source:v1"), ref("e2e/copy:v3"));
      expect(await skopeoDigest(ref("e2e/copy:v2"))).toBe(image.manifestDigest);
      const listTags = async (path: string) =>
        (JSON.parse(await run(["skopeo", "list-tags", tls, ref(path)])) as { Tags: string[] }).Tags;
      expect(await listTags("e2e/copy")).toEqual(["v2", "v3"]);

      await run(["skopeo", "delete", tls, `${ref("e2e/copy")}@${image.manifestDigest}`]);
      const response = await fetch(`${server?.url}/v2/e2e/copy/manifests/${image.manifestDigest}`);
      expect(response.status).toBe(404);
      const body = (await response.json()) as { errors: { code: string }[] };
      expect(body.errors[0]?.code).toBe("MANIFEST_UNKNOWN");
      // Deleting a manifest untags it everywhere in that repository, as Distribution does.
      expect(await listTags("e2e/copy")).toEqual([]);
      await expect(run(["skopeo", "inspect", tls, ref("e2e/copy:v2")])).rejects.toThrow();
      // The source repository is untouched.
      expect(await skopeoDigest(ref("e2e/source:v1"))).toBe(image.manifestDigest);
      for (const layer of image.layerDigests) {
        const blob = await fetch(`${server?.url}/v2/e2e/source/blobs/${layer}`, {
          method: "HEAD",
        });
        expect(blob.status).toBe(200);
      }
    }),
  );
});
