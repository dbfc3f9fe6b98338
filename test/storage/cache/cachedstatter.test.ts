import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createLogger } from "../../../src/log.ts";
import type { BlobDescriptorService, Descriptor } from "../../../src/registry/descriptor.ts";
import { type Digest, digestOf } from "../../../src/registry/digest.ts";
import { registryError } from "../../../src/registry/errors.ts";
import {
  CachedBlobStatter,
  type CacheEvent,
  CacheHealth,
  type CacheMetrics,
} from "../../../src/storage/cache/cachedstatter.ts";
import { InMemoryBlobDescriptorCacheProvider } from "../../../src/storage/cache/inmemory.ts";
import {
  RedisBlobDescriptorCacheProvider,
  type RedisClient,
} from "../../../src/storage/cache/redis.ts";
import { createRedisClient, waitUntilReady } from "../../../src/storage/cache/redisclient.ts";
import { RedisStub } from "../../support/redisstub.ts";

/** Storage as the statter sees it: a map, with a count of reads and an optional clear hook. */
class FakeStorage implements BlobDescriptorService {
  readonly blobs = new Map<string, Descriptor>();
  reads = 0;
  beforeClear: () => Promise<void> = async () => {};
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
    await this.beforeClear();
    if (!this.blobs.delete(digest)) throw registryError("BLOB_UNKNOWN");
  }
}

/** A cache whose every operation fails as a down Redis would; it records what it was asked. */
class BrokenCache implements BlobDescriptorService {
  readonly calls: string[] = [];
  constructor(private readonly failing: ReadonlySet<string>) {}
  private attempt(operation: string): void {
    this.calls.push(operation);
    if (this.failing.has(operation)) throw new Error("connect ECONNREFUSED 127.0.0.1:6379");
  }
  async stat(): Promise<Descriptor> {
    this.attempt("stat");
    throw registryError("BLOB_UNKNOWN");
  }
  async setDescriptor(): Promise<void> {
    this.attempt("setDescriptor");
  }
  async clear(): Promise<void> {
    this.attempt("clear");
  }
}

function counter(): { counts: Record<CacheEvent, number>; metrics: CacheMetrics } {
  const counts: Record<CacheEvent, number> = { Request: 0, Hit: 0, Miss: 0, Error: 0 };
  return { counts, metrics: { count: (event) => void counts[event]++ } };
}

const blob = (content: string): Descriptor => ({
  digest: digestOf(content),
  size: content.length,
  mediaType: "application/octet-stream",
});

function storageWith(...descriptors: Descriptor[]): FakeStorage {
  const storage = new FakeStorage();
  for (const descriptor of descriptors) storage.blobs.set(descriptor.digest, descriptor);
  return storage;
}

describe("cached statter", () => {
  const descriptor = blob("a");

  test("a miss reads storage and fills the cache; the next stat is a hit", async () => {
    const storage = storageWith(descriptor);
    const { counts, metrics } = counter();
    const cache = new InMemoryBlobDescriptorCacheProvider().repositoryScoped("r");
    const statter = new CachedBlobStatter(cache, storage, metrics);
    expect(await statter.stat(descriptor.digest)).toEqual(descriptor);
    expect(await statter.stat(descriptor.digest)).toEqual(descriptor);
    expect(storage.reads).toBe(1);
    expect(await cache.stat(descriptor.digest)).toEqual(descriptor);
    expect(counts).toEqual({ Request: 2, Hit: 1, Miss: 1, Error: 0 });
  });

  test("a blob unknown to both stays unknown and fills nothing", async () => {
    const { counts, metrics } = counter();
    const cache = new InMemoryBlobDescriptorCacheProvider().repositoryScoped("r");
    const statter = new CachedBlobStatter(cache, new FakeStorage(), metrics);
    await expect(statter.stat(descriptor.digest)).rejects.toMatchObject({ code: "BLOB_UNKNOWN" });
    await expect(cache.stat(descriptor.digest)).rejects.toMatchObject({ code: "BLOB_UNKNOWN" });
    expect(counts).toEqual({ Request: 1, Hit: 0, Miss: 0, Error: 0 });
  });

  test("a failing cache: storage answers, the error is counted, nothing is written", async () => {
    const cache = new BrokenCache(new Set(["stat", "setDescriptor", "clear"]));
    const { counts, metrics } = counter();
    const statter = new CachedBlobStatter(cache, storageWith(descriptor), metrics);
    expect(await statter.stat(descriptor.digest)).toEqual(descriptor);
    expect(cache.calls).toEqual(["stat"]);
    expect(counts).toEqual({ Request: 1, Hit: 0, Miss: 0, Error: 1 });
  });

  test("a cache failure is counted even when storage does not know the blob either", async () => {
    const { counts, metrics } = counter();
    const cache = new BrokenCache(new Set(["stat"]));
    const statter = new CachedBlobStatter(cache, new FakeStorage(), metrics);
    await expect(statter.stat(descriptor.digest)).rejects.toMatchObject({ code: "BLOB_UNKNOWN" });
    expect(counts.Error).toBe(1);
  });

  test("a failing fill is swallowed and counted; the answer is still returned", async () => {
    const { counts, metrics } = counter();
    const cache = new BrokenCache(new Set(["setDescriptor"]));
    const statter = new CachedBlobStatter(cache, storageWith(descriptor), metrics);
    expect(await statter.stat(descriptor.digest)).toEqual(descriptor);
    expect(cache.calls).toEqual(["stat", "setDescriptor"]);
    expect(counts).toEqual({ Request: 1, Hit: 0, Miss: 1, Error: 1 });
  });

  test("setDescriptor writes storage first; a cache that cannot take it is counted", async () => {
    const { counts, metrics } = counter();
    const storage = new FakeStorage();
    const statter = new CachedBlobStatter(
      new BrokenCache(new Set(["setDescriptor"])),
      storage,
      metrics,
    );
    await statter.setDescriptor(descriptor.digest, descriptor);
    expect(storage.blobs.get(descriptor.digest)).toEqual(descriptor);
    expect(counts.Error).toBe(1);
  });

  test("clear removes from cache and storage; unknown stays unknown", async () => {
    const storage = new FakeStorage();
    const cache = new InMemoryBlobDescriptorCacheProvider().repositoryScoped("r");
    const statter = new CachedBlobStatter(cache, storage);
    await statter.setDescriptor(descriptor.digest, descriptor);
    await statter.clear(descriptor.digest);
    await expect(statter.stat(descriptor.digest)).rejects.toMatchObject({ code: "BLOB_UNKNOWN" });
    await expect(statter.clear(descriptor.digest)).rejects.toMatchObject({ code: "BLOB_UNKNOWN" });
    await expect(cache.stat(descriptor.digest)).rejects.toMatchObject({ code: "BLOB_UNKNOWN" });
  });

  test("clear refuses when the cache cannot be cleared, and deletes nothing", async () => {
    const storage = storageWith(descriptor);
    const statter = new CachedBlobStatter(new BrokenCache(new Set(["clear"])), storage);
    await expect(statter.clear(descriptor.digest)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    expect(storage.blobs.has(descriptor.digest)).toBe(true);
  });

  test("a stat that refills the cache during a delete does not outlive the delete", async () => {
    const storage = storageWith(descriptor);
    const cache = new InMemoryBlobDescriptorCacheProvider().repositoryScoped("r");
    const statter = new CachedBlobStatter(cache, storage);
    await statter.stat(descriptor.digest);
    // Between the first cache clear and the storage delete, a concurrent request misses and
    // refills the cache from storage, which still has the blob.
    storage.beforeClear = async () => {
      await statter.stat(descriptor.digest);
    };
    await statter.clear(descriptor.digest);
    await expect(cache.stat(descriptor.digest)).rejects.toMatchObject({ code: "BLOB_UNKNOWN" });
    await expect(statter.stat(descriptor.digest)).rejects.toMatchObject({ code: "BLOB_UNKNOWN" });
  });
});

const writeCommands = new Set(["sadd", "srem", "hset", "hsetnx", "hdel", "del", "multi", "exec"]);

describe("cached statter with Redis faults", () => {
  let stub: RedisStub;
  let client: RedisClient;
  let storage: FakeStorage;
  let statter: CachedBlobStatter;
  let counts: Record<CacheEvent, number>;
  const descriptor = blob("fault tolerant");
  const writesLogged = () => stub.commandNames().filter((name) => writeCommands.has(name));

  beforeEach(async () => {
    stub = await RedisStub.start();
    client = createRedisClient({
      addr: `127.0.0.1:${stub.port}`,
      readtimeout: 200,
      writetimeout: 200,
      dialtimeout: 200,
    });
    await waitUntilReady(client, 5000);
    storage = storageWith(descriptor);
    const counted = counter();
    counts = counted.counts;
    statter = new CachedBlobStatter(
      new RedisBlobDescriptorCacheProvider(client).repositoryScoped("r"),
      storage,
      counted.metrics,
    );
  });

  afterEach(() => {
    client.disconnect();
    stub.stop();
  });

  /** Stops the stub and waits until the client has noticed, so "ready" means reconnected. */
  async function stop(): Promise<void> {
    const closed = new Promise((resolve) => client.once("close", resolve));
    stub.stop();
    await closed;
    stub.clearLog();
  }

  async function restart(): Promise<void> {
    await stop();
    stub.start();
    expect(await waitUntilReady(client, 10_000)).toBe(true);
  }

  test("an error reply reads storage and writes nothing to the cache", async () => {
    stub.failing.add("sismember");
    stub.clearLog();
    expect(await statter.stat(descriptor.digest)).toEqual(descriptor);
    expect(counts).toMatchObject({ Error: 1, Miss: 0 });
    expect(stub.commandNames().filter((name) => ["sadd", "hset", "hsetnx"].includes(name))).toEqual(
      [],
    );
  });

  test("Redis stopped: storage answers, nothing is written after it returns, then it fills", async () => {
    await stop();
    expect(await statter.stat(descriptor.digest)).toEqual(descriptor);
    const other = blob("pushed during the outage");
    await statter.setDescriptor(other.digest, other);
    expect(counts).toMatchObject({ Error: 2, Miss: 0, Hit: 0 });

    stub.start();
    expect(await waitUntilReady(client, 10_000)).toBe(true);
    // The reconnect handshake only: no write queued during the outage reaches the server.
    expect(stub.commandNames().length).toBeGreaterThan(0);
    expect(writesLogged()).toEqual([]);

    // Same client: the next miss fills, the stat after that is a hit.
    expect(await statter.stat(descriptor.digest)).toEqual(descriptor);
    expect(counts.Miss).toBe(1);
    expect(stub.commandNames()).toContain("sadd");
    const reads = storage.reads;
    expect(await statter.stat(descriptor.digest)).toEqual(descriptor);
    expect(storage.reads).toBe(reads);
    expect(counts.Hit).toBe(1);
  });

  test("Redis stalled: the command times out, storage answers, the write is never replayed", async () => {
    stub.stall();
    expect(await statter.stat(descriptor.digest)).toEqual(descriptor);
    await statter.setDescriptor(descriptor.digest, descriptor);
    expect(counts).toMatchObject({ Error: 2, Miss: 0, Hit: 0 });
    // What the server read while stalled is lost with the connection; after the reconnect the
    // client must not re-send the write it already reported as failed.
    await restart();
    await client.ping();
    expect(writesLogged()).toEqual([]);
    await expect(
      new RedisBlobDescriptorCacheProvider(client).repositoryScoped("r").stat(descriptor.digest),
    ).rejects.toMatchObject({ code: "BLOB_UNKNOWN" });
  });

  test("a delete while Redis is down is refused and deletes nothing", async () => {
    await statter.stat(descriptor.digest);
    await stop();
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
    const descriptor = blob("logged");
    const storage = storageWith(descriptor);
    const broken = new BrokenCache(new Set(["stat"]));
    const statter = new CachedBlobStatter(broken, storage, undefined, health);
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
