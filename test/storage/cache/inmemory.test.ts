import { expect, test } from "bun:test";
import { digestOf } from "../../../src/registry/digest.ts";
import { InMemoryBlobDescriptorCacheProvider } from "../../../src/storage/cache/inmemory.ts";
import { LRUCache } from "../../../src/storage/cache/lru.ts";
import { cacheSuite } from "./suite.ts";

cacheSuite("inmemory", async () => ({
  provider: new InMemoryBlobDescriptorCacheProvider(),
  cleanup: async () => {},
}));

test("the LRU forgets the least recently used entry first", () => {
  const lru = new LRUCache<string, number>(2);
  lru.set("a", 1);
  lru.set("b", 2);
  expect(lru.get("a")).toBe(1);
  lru.set("c", 3);
  expect(lru.get("b")).toBeUndefined();
  expect(lru.get("a")).toBe(1);
  expect(lru.get("c")).toBe(3);
  expect(lru.size).toBe(2);
  expect(() => new LRUCache(0)).toThrow();
});

test("the in-memory cache is bounded by blobdescriptorsize", async () => {
  const cache = new InMemoryBlobDescriptorCacheProvider({ size: 3 });
  const scoped = cache.repositoryScoped("bounded");
  const digests = ["a", "b", "c", "d"].map((content) => digestOf(content));
  for (const digest of digests)
    await scoped.setDescriptor(digest, { digest, size: 1, mediaType: "application/octet-stream" });
  await expect(scoped.stat(digests[0] as never)).rejects.toMatchObject({ code: "BLOB_UNKNOWN" });
  expect((await scoped.stat(digests[3] as never)).size).toBe(1);
});
