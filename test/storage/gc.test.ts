import { afterEach, describe, expect, test } from "bun:test";
import { digestOf } from "../../src/registry/digest.ts";
import { mediaTypes } from "../../src/registry/mediatypes.ts";
import { garbageCollect } from "../../src/storage/gc.ts";
import { blobDataPath } from "../../src/storage/paths.ts";
import {
  bytes,
  imageManifest,
  pushBlob,
  randomBytes,
  type TestRegistry,
  tempFilesystemDriver,
  testRegistry,
} from "../support/registry.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

interface Image {
  readonly tag: string;
  readonly manifest: Uint8Array;
  readonly digest: string;
  readonly blobs: { digest: string; content: Uint8Array }[];
}

/** Three images sharing one layer, each with its own config and second layer. */
async function threeImages(registry: TestRegistry): Promise<Image[]> {
  const shared = randomBytes(5000, 1);
  await pushBlob(registry, "app", shared);
  const images: Image[] = [];
  for (const [i, tag] of ["a", "b", "c"].entries()) {
    const config = bytes(JSON.stringify({ architecture: "amd64", os: "linux", tag }));
    const own = randomBytes(3000 + i, 10 + i);
    await pushBlob(registry, "app", config);
    await pushBlob(registry, "app", own);
    const manifest = imageManifest(
      { digest: digestOf(config), size: config.byteLength },
      [shared, own].map((layer) => ({ digest: digestOf(layer), size: layer.byteLength })),
    );
    const put = await registry.request("PUT", `/v2/app/manifests/${tag}`, {
      body: manifest,
      headers: { "Content-Type": mediaTypes.ociManifest },
    });
    expect(put.status).toBe(201);
    images.push({
      tag,
      manifest,
      digest: digestOf(manifest),
      blobs: [config, shared, own].map((content) => ({ digest: digestOf(content), content })),
    });
  }
  return images;
}

async function pullsIdentical(registry: TestRegistry, image: Image): Promise<void> {
  const manifest = await registry.request("GET", `/v2/app/manifests/${image.tag}`);
  expect(new Uint8Array(await manifest.arrayBuffer())).toEqual(
    image.manifest as Uint8Array<ArrayBuffer>,
  );
  for (const blob of image.blobs) {
    const response = await registry.request("GET", `/v2/app/blobs/${blob.digest}`);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(
      blob.content as Uint8Array<ArrayBuffer>,
    );
  }
}

describe("garbage collection", () => {
  test("after deleting one of three images, exactly its unshared blobs go; the others still pull", async () => {
    const fs = await tempFilesystemDriver();
    cleanups.push(fs.cleanup);
    const registry = testRegistry({ driver: fs.driver });
    const [a, b, c] = (await threeImages(registry)) as [Image, Image, Image];
    expect((await registry.request("DELETE", `/v2/app/manifests/${b.digest}`)).status).toBe(202);
    const unshared = [
      b.digest,
      (b.blobs[0] as { digest: string }).digest,
      (b.blobs[2] as { digest: string }).digest,
    ].sort();

    const dry = await garbageCollect(fs.driver, { dryRun: true, deleteUntagged: false });
    expect(dry.blobs.map((blob) => blob.digest as string).sort()).toEqual(unshared);
    expect(dry.bytes).toBe(
      b.manifest.byteLength +
        (b.blobs[0]?.content.byteLength ?? 0) +
        (b.blobs[2]?.content.byteLength ?? 0),
    );
    for (const digest of unshared)
      expect((await fs.driver.stat(blobDataPath(digest as never))).size).toBeGreaterThan(0);

    const real = await garbageCollect(fs.driver, { dryRun: false, deleteUntagged: false });
    expect(real.blobs.map((blob) => blob.digest as string).sort()).toEqual(unshared);
    for (const digest of unshared)
      await expect(fs.driver.stat(blobDataPath(digest as never))).rejects.toThrow();
    expect((await registry.request("HEAD", `/v2/app/blobs/${b.blobs[2]?.digest}`)).status).toBe(
      404,
    );
    await pullsIdentical(testRegistry({ driver: fs.driver }), a);
    await pullsIdentical(testRegistry({ driver: fs.driver }), c);
    expect(
      (await garbageCollect(fs.driver, { dryRun: true, deleteUntagged: false })).blobs,
    ).toEqual([]);
  });

  test("--delete-untagged removes untagged manifests but keeps index children and referrers", async () => {
    const registry = testRegistry();
    const [a] = (await threeImages(registry)) as [Image, Image, Image];
    // Retag "b" to image a: b's old manifest becomes untagged.
    await registry.request("PUT", "/v2/app/manifests/b", {
      body: a.manifest,
      headers: { "Content-Type": mediaTypes.ociManifest },
    });
    const index = bytes(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: mediaTypes.ociIndex,
        manifests: [
          { mediaType: mediaTypes.ociManifest, digest: a.digest, size: a.manifest.byteLength },
        ],
      }),
    );
    await registry.request("PUT", "/v2/app/manifests/multi", {
      body: index,
      headers: { "Content-Type": mediaTypes.ociIndex },
    });
    const result = await garbageCollect(registry.driver, { dryRun: false, deleteUntagged: true });
    expect(result.manifests).toHaveLength(1);
    expect((await registry.request("GET", "/v2/app/manifests/multi")).status).toBe(200);
    expect((await registry.request("GET", `/v2/app/manifests/${a.digest}`)).status).toBe(200);
    expect((await registry.request("GET", "/v2/app/manifests/c")).status).toBe(200);
  });
});
