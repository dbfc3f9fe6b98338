import { afterEach, describe, expect, test } from "bun:test";
import { Redis } from "ioredis";
import { loadConfig } from "../../../src/config/load.ts";
import { createLogger, silentLogger } from "../../../src/log.ts";
import { digestOf } from "../../../src/registry/digest.ts";
import { InMemoryBlobDescriptorCacheProvider } from "../../../src/storage/cache/inmemory.ts";
import { createDescriptorCache } from "../../../src/storage/cache/provider.ts";
import {
  RedisBlobDescriptorCacheProvider,
  type RedisClient,
} from "../../../src/storage/cache/redis.ts";
import {
  createRedisClient,
  parseRedisAddress,
  planRedisConnection,
  reconnectDelay,
  waitUntilReady,
} from "../../../src/storage/cache/redisclient.ts";
import { RedisStub } from "../../support/redisstub.ts";

describe("redis addresses", () => {
  test.each([
    ["127.0.0.1:6380", { host: "127.0.0.1", port: 6380 }],
    ["redis.internal", { host: "redis.internal", port: 6379 }],
    ["[::1]:7000", { host: "::1", port: 7000 }],
    [" cache:6379 ", { host: "cache", port: 6379 }],
  ])("%p", (addr, expected) => expect(parseRedisAddress(addr)).toEqual(expected));

  test.each(["", "a:b:c", "host:99999", "host:port", "[::1"])("%p is refused", (addr) =>
    expect(() => parseRedisAddress(addr)).toThrow(/cannot parse/),
  );
});

describe("connection plan", () => {
  test("a single server: short timeouts, no offline queue, no retries, no replays", () => {
    const plan = planRedisConnection({
      addr: "cache:6380",
      username: "registry",
      password: "pw",
      db: 2,
      dialtimeout: 150,
      readtimeout: 300,
      writetimeout: 700,
      tls: true,
    });
    expect(plan.kind).toBe("standalone");
    expect(plan.options).toMatchObject({
      host: "cache",
      port: 6380,
      username: "registry",
      password: "pw",
      db: 2,
      connectTimeout: 150,
      commandTimeout: 700,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      tls: {},
    });
  });

  test("defaults: 1 s to connect, 500 ms per command, no TLS, db 0, no empty credentials", () => {
    const plan = planRedisConnection({ password: "" });
    expect(plan.options).toMatchObject({
      host: "127.0.0.1",
      port: 6379,
      db: 0,
      connectTimeout: 1000,
      commandTimeout: 500,
      tls: undefined,
      password: undefined,
    });
  });

  test("reconnects back off exponentially up to two seconds", () => {
    const delays = [1, 2, 3, 4, 5, 6, 10, 1000].map(reconnectDelay);
    expect(delays).toEqual([100, 200, 400, 800, 1600, 2000, 2000, 2000]);
  });

  test("mastername: the addresses are sentinels", () => {
    const plan = planRedisConnection({
      addrs: ["s1:26379", "s2:26379"],
      mastername: "primary",
      tls: true,
    });
    expect(plan.kind).toBe("sentinel");
    expect(plan.options).toMatchObject({
      name: "primary",
      sentinels: [
        { host: "s1", port: 26379 },
        { host: "s2", port: 26379 },
      ],
      enableTLSForSentinelMode: true,
      sentinelTLS: {},
      enableOfflineQueue: false,
    });
  });

  test("cluster: the addresses are seed nodes, every node connection is tuned the same", () => {
    const plan = planRedisConnection({ addrs: ["n1:7000", "n2:7001"], cluster: true });
    if (plan.kind !== "cluster") throw new Error(`expected a cluster plan, got ${plan.kind}`);
    expect(plan.nodes).toEqual([
      { host: "n1", port: 7000 },
      { host: "n2", port: 7001 },
    ]);
    expect(plan.options).toMatchObject({
      enableOfflineQueue: false,
      redisOptions: { commandTimeout: 500, maxRetriesPerRequest: 0 },
    });
  });
});

describe("a client built from options, against the stub", () => {
  let stub: RedisStub | undefined;
  let client: RedisClient | undefined;
  afterEach(() => {
    client?.disconnect();
    stub?.stop();
  });

  test("authenticates and works in the configured database", async () => {
    stub = await RedisStub.start({ password: "s3cret" });
    client = createRedisClient({ addr: `127.0.0.1:${stub.port}`, password: "s3cret", db: 4 });
    expect(await waitUntilReady(client, 5000)).toBe(true);
    const digest = digestOf("db four");
    await new RedisBlobDescriptorCacheProvider(client).setDescriptor(digest, {
      digest,
      size: 7,
      mediaType: "application/octet-stream",
    });
    const inDb = (db: number) =>
      new Redis(stub?.port as number, "127.0.0.1", { password: "s3cret", db });
    const four = inDb(4);
    const zero = inDb(0);
    expect(await four.exists(`blobs::${digest}`)).toBe(1);
    expect(await zero.exists(`blobs::${digest}`)).toBe(0);
    four.disconnect();
    zero.disconnect();
  });

  test("reports every command's latency and outcome to the observer", async () => {
    stub = await RedisStub.start();
    const observed: [string, number, boolean][] = [];
    client = createRedisClient({
      addr: `127.0.0.1:${stub.port}`,
      onCommand: (command, seconds, failed) => observed.push([command, seconds, failed]),
    });
    await waitUntilReady(client, 5000);
    const provider = new RedisBlobDescriptorCacheProvider(client);
    await expect(provider.stat(digestOf("absent"))).rejects.toMatchObject({
      code: "BLOB_UNKNOWN",
    });
    stub.failing.add("del");
    await expect(provider.clear(digestOf("absent"))).rejects.toThrow("injected failure");
    const [hmget] = observed.filter(([command]) => command === "hmget");
    expect(hmget?.[1]).toBeGreaterThanOrEqual(0);
    expect(hmget?.[2]).toBe(false);
    expect(observed.find(([command]) => command === "del")?.[2]).toBe(true);
  });

  test("while Redis is unreachable a command fails at once instead of queueing", async () => {
    stub = await RedisStub.start();
    client = createRedisClient({ addr: `127.0.0.1:${stub.port}` });
    await waitUntilReady(client, 5000);
    stub.stop();
    await new Promise((resolve) => client?.once("close", resolve));
    await expect(client.hget("k", "f")).rejects.toThrow(/enableOfflineQueue|writeable/);
  });
});

describe("descriptor cache from config", () => {
  const config = (cache: string, redis = "") =>
    loadConfig({ text: `version: 0.1\nstorage:\n  inmemory:\n  cache: ${cache}\n${redis}` });

  test("inmemory is bounded by blobdescriptorsize", async () => {
    const cache = createDescriptorCache(
      config("{blobdescriptor: inmemory, blobdescriptorsize: 1}"),
      silentLogger,
    );
    expect(cache?.provider).toBeInstanceOf(InMemoryBlobDescriptorCacheProvider);
    const [a, b] = [digestOf("a"), digestOf("b")];
    for (const digest of [a, b])
      await cache?.provider.setDescriptor(digest, { digest, size: 1, mediaType: "a/b" });
    await expect(cache?.provider.stat(a)).rejects.toMatchObject({ code: "BLOB_UNKNOWN" });
    await cache?.close();
  });

  test("inmemory is the default; an empty blobdescriptor means no cache", () => {
    const byDefault = createDescriptorCache(config("{}"), silentLogger);
    expect(byDefault?.provider).toBeInstanceOf(InMemoryBlobDescriptorCacheProvider);
    expect(createDescriptorCache(config('{blobdescriptor: ""}'), silentLogger)).toBeUndefined();
  });

  test("redis without an address is a configuration error", () => {
    expect(() => createDescriptorCache(config("{blobdescriptor: redis}"), silentLogger)).toThrow(
      /redis.addr/,
    );
  });

  test("redis: the address is logged, the password never", async () => {
    const stub = await RedisStub.start({ password: "hunter2-secret" });
    const lines: string[] = [];
    const cache = createDescriptorCache(
      config(
        "{blobdescriptor: redis}",
        `redis:\n  addr: 127.0.0.1:${stub.port}\n  password: hunter2-secret\n  username: default\n`,
      ),
      createLogger({ level: "debug", formatter: "text", write: (line) => lines.push(line) }),
    );
    try {
      expect(cache?.provider).toBeInstanceOf(RedisBlobDescriptorCacheProvider);
      expect(await waitUntilReady(cache?.redis as RedisClient, 5000)).toBe(true);
      expect(await cache?.redis?.ping()).toBe("PONG");
      expect(lines.join("\n")).toContain(`127.0.0.1:${stub.port}`);
      expect(lines.join("\n")).not.toContain("hunter2");
    } finally {
      await cache?.close();
      stub.stop();
    }
  });
});
