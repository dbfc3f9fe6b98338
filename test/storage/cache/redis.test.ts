import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Redis } from "ioredis";
import { digestOf } from "../../../src/registry/digest.ts";
import { RedisBlobDescriptorCacheProvider } from "../../../src/storage/cache/redis.ts";
import {
  createRedisClient as createClient,
  waitUntilReady,
} from "../../../src/storage/cache/redisclient.ts";
import { RedisStub } from "../../support/redisstub.ts";
import { cacheSuite } from "./suite.ts";

const hostPort = (url: string) => new URL(url).host;

async function createRedisClient(options: { addr: string }) {
  const client = createClient(options);
  if (!(await waitUntilReady(client, 5000))) throw new Error(`redis at ${options.addr} not ready`);
  return client;
}

/** The suite against the stub (always) and against a real redis-server when REDIS_URL is set. */
function redisFixture(url: () => string) {
  return async () => {
    const client = await createRedisClient({ addr: hostPort(url()) });
    await client.flushdb();
    return {
      provider: new RedisBlobDescriptorCacheProvider(client),
      cleanup: async () => {
        client.disconnect();
      },
    };
  };
}

let stub: RedisStub;
beforeAll(async () => {
  stub = await RedisStub.start();
});
afterAll(() => stub.stop());

cacheSuite(
  "redis (stub)",
  redisFixture(() => stub.url),
);

const realRedis = process.env.REDIS_URL;
if (realRedis)
  cacheSuite(
    "redis (real server)",
    redisFixture(() => realRedis),
  );
else if (process.env.CI === "true") throw new Error("REDIS_URL must be set in CI");

describe("Distribution's key schema", () => {
  const targets = [
    ["stub", () => stub.url] as const,
    ...(realRedis ? [["real server", () => realRedis] as const] : []),
  ];

  for (const [label, url] of targets) {
    test(`exact keys and fields (${label})`, async () => {
      const client = await createRedisClient({ addr: hostPort(url()) });
      const raw = new Redis(url());
      await raw.flushdb();
      const provider = new RedisBlobDescriptorCacheProvider(client);
      const digest = digestOf("schema");
      await provider
        .repositoryScoped("lib/app")
        .setDescriptor(digest, { digest, size: 6, mediaType: "application/vnd.first" });
      await provider
        .repositoryScoped("lib/other")
        .setDescriptor(digest, { digest, size: 6, mediaType: "application/vnd.second" });
      expect(await raw.hgetall(`blobs::${digest}`)).toEqual({
        digest,
        size: "6",
        mediatype: "application/vnd.first",
      });
      expect(await raw.smembers("repository::lib/app::blobs")).toEqual([digest]);
      expect(await raw.hgetall(`repository::lib/other::blobs::${digest}`)).toEqual({
        mediatype: "application/vnd.second",
      });

      await provider.repositoryScoped("lib/app").clear(digest);
      expect(await raw.sismember("repository::lib/app::blobs", digest)).toBe(0);
      expect(await raw.exists(`repository::lib/app::blobs::${digest}`)).toBe(0);
      expect(await raw.hgetall(`blobs::${digest}`)).toEqual({
        digest,
        size: "6",
        mediatype: "application/vnd.first",
      });
      raw.disconnect();
      client.disconnect();
    });

    test(`data written with "length" instead of "size" is a miss (${label})`, async () => {
      const client = await createRedisClient({ addr: hostPort(url()) });
      const raw = new Redis(url());
      const digest = digestOf("old format");
      await raw.hset(
        `blobs::${digest}`,
        "digest",
        digest,
        "length",
        "10",
        "mediatype",
        "application/octet-stream",
      );
      await raw.sadd("repository::old::blobs", digest);
      const provider = new RedisBlobDescriptorCacheProvider(client);
      await expect(provider.stat(digest)).rejects.toMatchObject({ code: "BLOB_UNKNOWN" });
      await expect(provider.repositoryScoped("old").stat(digest)).rejects.toMatchObject({
        code: "BLOB_UNKNOWN",
      });
      raw.disconnect();
      client.disconnect();
    });

    test(`a member without an override hash falls back to the global media type (${label})`, async () => {
      const client = await createRedisClient({ addr: hostPort(url()) });
      const raw = new Redis(url());
      const digest = digestOf("no override");
      await raw.hset(
        `blobs::${digest}`,
        "digest",
        digest,
        "size",
        "3",
        "mediatype",
        "application/global",
      );
      await raw.sadd("repository::plain::blobs", digest);
      const descriptor = await new RedisBlobDescriptorCacheProvider(client)
        .repositoryScoped("plain")
        .stat(digest);
      expect(descriptor).toEqual({ digest, size: 3, mediaType: "application/global" });
      raw.disconnect();
      client.disconnect();
    });
  }
});

describe("round trips", () => {
  test("a scoped set and a scoped stat each go out in one transaction", async () => {
    const client = await createRedisClient({ addr: hostPort(stub.url) });
    const provider = new RedisBlobDescriptorCacheProvider(client).repositoryScoped("rt");
    const digest = digestOf("round trip");
    await client.ping();
    stub.clearLog();
    await provider.setDescriptor(digest, {
      digest,
      size: 10,
      mediaType: "application/octet-stream",
    });
    await provider.stat(digest);
    expect(stub.commandNames()).toEqual([
      "multi",
      "sadd",
      "hset",
      "hsetnx",
      "hset",
      "exec",
      "multi",
      "sismember",
      "hmget",
      "hget",
      "exec",
    ]);
    expect(stub.batches.map((batch) => batch.length)).toEqual([6, 5]);
    client.disconnect();
  });

  test("HSETNX keeps the first media type", async () => {
    const client = await createRedisClient({ addr: hostPort(stub.url) });
    const provider = new RedisBlobDescriptorCacheProvider(client);
    const digest = digestOf("nx");
    await provider.setDescriptor(digest, { digest, size: 2, mediaType: "application/first" });
    await provider.setDescriptor(digest, { digest, size: 2, mediaType: "application/second" });
    expect((await provider.stat(digest)).mediaType).toBe("application/first");
    client.disconnect();
  });
});
