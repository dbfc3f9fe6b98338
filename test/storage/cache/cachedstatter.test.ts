import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createLogger } from "../../../src/log.ts";
import type { BlobDescriptorService, Descriptor } from "../../../src/registry/descriptor.ts";
import { type Digest, digestOf } from "../../../src/registry/digest.ts";
import { registryError } from "../../../src/registry/errors.ts";
import {
  CachedBlobStatter,
  type CacheEvent,
  CacheHealth,
} from "../../../src/storage/cache/cachedstatter.ts";
import { InMemoryBlobDescriptorCacheProvider } from "../../../src/storage/cache/inmemory.ts";
import {
  RedisBlobDescriptorCacheProvider,
  type RedisClient,
} from "../../../src/storage/cache/redis.ts";
import { createRedisClient, waitUntilReady } from "../../../src/storage/cache/redisclient.ts";
import { RedisStub } from "../../support/redisstub.ts";

/** Storage as the statter sees it: a map, with a count of reads. */
class FakeStorage implements BlobDescriptorService {
  readonly blobs = new Map<string, Descriptor>();
  reads = 0;
  async stat(digest: Digest): Promise<Descriptor> {
    this.reads++;
    const descriptor = this.blobs.get(digest);
    if (!descriptor) throw registryError("BLOB_UNKNOWN");
    return descriptor;
  }
  async setDescriptor(digest: Digest, descriptor: Descriptor): Promise<void> {
    this.blobs.set(digest, descriptor);
  }
  async clear(digest: Digest): Promise<void> {
    if (!this.blobs.delete(digest)) throw registryError("BLOB_UNKNOWN");
  }
}

const counter = () => {
  const counts: Record<CacheEvent, number> = { Request: 0, Hit: 0, Miss: 0, Error: 0 };
  return { counts, metrics: { count: (event: CacheEvent) => void counts[event]++ } };
};

const blob = (content: string): Descriptor => ({
  digest: digestOf(content),
  size: content.length,
  mediaType: "application/octet-stream",
});

describe("cached statter with an in-memory cache", () => {
  test("a miss reads storage and fills the cache; the next stat is a hit", async () => {
    const storage = new FakeStorage();
    const descriptor = blob("a");
    storage.blobs.set(descriptor.digest, descriptor);
    const { counts, metrics } = counter();
    const statter = new CachedBlobStatter(
      new InMemoryBlobDescriptorCacheProvider().repositoryScoped("r"),
      storage,
      metrics,
    );
    expect(await statter.stat(descriptor.digest)).toEqual(descriptor);
    expect(await statter.stat(descriptor.digest)).toEqual(descriptor);
    expect(storage.reads).toBe(1);
    expect(counts).toEqual({ Request: 2, Hit: 1, Miss: 1, Error: 0 });
  });

  test("clear removes from cache and storage; unknown stays unknown", async () => {
    const storage = new FakeStorage();
    const descriptor = blob("b");
    const statter = new CachedBlobStatter(
      new InMemoryBlobDescriptorCacheProvider().repositoryScoped("r"),
      storage,
    );
    await statter.setDescriptor(descriptor.digest, descriptor);
    await statter.clear(descriptor.digest);
    await expect(statter.stat(descriptor.digest)).rejects.toMatchObject({ code: "BLOB_UNKNOWN" });
    await expect(statter.clear(descriptor.digest)).rejects.toMatchObject({ code: "BLOB_UNKNOWN" });
  });
});

describe("cached statter with Redis faults", () => {
  let stub: RedisStub;
  let client: RedisClient;
  let storage: FakeStorage;
  let statter: CachedBlobStatter;
  let counts: Record<CacheEvent, number>;
  const descriptor = blob("fault tolerant");

  beforeEach(async () => {
    stub = await RedisStub.start();
    client = createRedisClient({
      addr: `127.0.0.1:${stub.port}`,
      readtimeout: 200,
      writetimeout: 200,
      dialtimeout: 200,
    });
    await waitUntilReady(client, 5000);
    storage = new FakeStorage();
    storage.blobs.set(descriptor.digest, descriptor);
    const counter_ = counter();
    counts = counter_.counts;
    statter = new CachedBlobStatter(
      new RedisBlobDescriptorCacheProvider(client).repositoryScoped("r"),
      storage,
      counter_.metrics,
    );
  });

  afterEach(() => {
    client.disconnect();
    stub.stop();
  });

  test("a cache error reads storage and writes nothing to the cache", async () => {
    stub.failing.add("sismember");
    stub.clearLog();
    expect(await statter.stat(descriptor.digest)).toEqual(descriptor);
    expect(counts.Error).toBe(1);
    expect(counts.Miss).toBe(0);
    const writes = stub.commandNames().filter((name) => ["hset", "hsetnx", "sadd"].includes(name));
    expect(writes).toEqual([]);
  });

  test("Redis stopped: stats still answer from storage; back: the cache fills again", async () => {
    stub.stop();
    expect(await statter.stat(descriptor.digest)).toEqual(descriptor);
    expect(counts.Error).toBe(1);
    stub.start();
    expect(await waitUntilReady(client, 10_000)).toBe(true);
    stub.clearLog();
    expect(await statter.stat(descriptor.digest)).toEqual(descriptor);
    expect(counts.Miss).toBe(1);
    expect(stub.commandNames()).toContain("sadd");
    const reads = storage.reads;
    expect(await statter.stat(descriptor.digest)).toEqual(descriptor);
    expect(storage.reads).toBe(reads);
    expect(counts.Hit).toBe(1);
  });

  test("a delete while Redis is down is refused and deletes nothing", async () => {
    await statter.stat(descriptor.digest);
    stub.stop();
    await expect(statter.clear(descriptor.digest)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    expect(storage.blobs.has(descriptor.digest)).toBe(true);
  });
});

describe("cache health logging", () => {
  test("an outage is logged once when it starts and once when it ends", async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: "debug",
      formatter: "text",
      write: (line) => lines.push(line),
    });
    const health = new CacheHealth(logger);
    const failingCache: BlobDescriptorService = {
      stat: async () => {
        throw new Error("connection refused");
      },
      setDescriptor: async () => {},
      clear: async () => {},
    };
    const storage = new FakeStorage();
    const descriptor = blob("logged");
    storage.blobs.set(descriptor.digest, descriptor);
    const statter = new CachedBlobStatter(failingCache, storage, undefined, health);
    for (let i = 0; i < 5; i++) await statter.stat(descriptor.digest);
    expect(lines.filter((line) => line.includes("unavailable"))).toHaveLength(1);
    const recovered = new CachedBlobStatter(
      new InMemoryBlobDescriptorCacheProvider().repositoryScoped("r"),
      storage,
      undefined,
      health,
    );
    await recovered.stat(descriptor.digest);
    await recovered.stat(descriptor.digest);
    expect(lines.filter((line) => line.includes("available again"))).toHaveLength(1);
  });
});
