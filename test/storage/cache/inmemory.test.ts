import { expect, test } from "bun:test";
import type { Digest } from "../../../src/registry/digest.ts";
import { digestOf } from "../../../src/registry/digest.ts";
import { InMemoryBlobDescriptorCacheProvider } from "../../../src/storage/cache/inmemory.ts";
import { cacheSuite } from "./suite.ts";

cacheSuite("inmemory", async () => ({
  provider: new InMemoryBlobDescriptorCacheProvider(),
  cleanup: async () => {},
}));

const descriptor = (digest: Digest) => ({ digest, size: 1, mediaType: "application/octet-stream" });

test("the in-memory cache is bounded by blobdescriptorsize; recently used entries stay", async () => {
  const cache = new InMemoryBlobDescriptorCacheProvider({ size: 3 });
  const scoped = cache.repositoryScoped("bounded");
  const [a, b, c, d] = ["a", "b", "c", "d"].map((content) => digestOf(content)) as [
    Digest,
    Digest,
    Digest,
    Digest,
  ];
  for (const digest of [a, b, c]) await scoped.setDescriptor(digest, descriptor(digest));
  await scoped.stat(a);
  await scoped.setDescriptor(d, descriptor(d));
  await expect(scoped.stat(b)).rejects.toMatchObject({ code: "BLOB_UNKNOWN" });
  await expect(cache.stat(b)).rejects.toMatchObject({ code: "BLOB_UNKNOWN" });
  for (const digest of [a, c, d]) expect((await scoped.stat(digest)).digest).toBe(digest);
});

test("the default bound is 10000 entries", async () => {
  const cache = new InMemoryBlobDescriptorCacheProvider();
  const digests = Array.from({ length: 10_001 }, (_, i) => digestOf(`blob ${i}`));
  for (const digest of digests) await cache.setDescriptor(digest, descriptor(digest));
  await expect(cache.stat(digests[0] as Digest)).rejects.toMatchObject({ code: "BLOB_UNKNOWN" });
  expect((await cache.stat(digests[1] as Digest)).digest).toBe(digests[1] as Digest);
});
