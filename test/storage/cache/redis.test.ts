import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { Redis } from "ioredis";
import type { Descriptor } from "../../../src/registry/descriptor.ts";
import { digestOf } from "../../../src/registry/digest.ts";
import {
  RedisBlobDescriptorCacheProvider,
  type RedisClient,
} from "../../../src/storage/cache/redis.ts";
import { createRedisClient, waitUntilReady } from "../../../src/storage/cache/redisclient.ts";
import { RedisStub } from "../../support/redisstub.ts";
import { cacheSuite } from "./suite.ts";

const addrOf = (url: string) => new URL(url).host;

async function connect(url: string): Promise<RedisClient> {
  const client = createRedisClient({ addr: addrOf(url) });
  if (!(await waitUntilReady(client, 5000))) throw new Error(`redis at ${url} is not ready`);
  return client;
}

let stub: RedisStub;
beforeAll(async () => {
  stub = await RedisStub.start();
});
afterAll(() => stub.stop());

const realRedis = process.env.REDIS_URL;
if (!realRedis && process.env.CI === "true") throw new Error("REDIS_URL must be set in CI");

/** The stub always; a real redis-server too when REDIS_URL names one. */
const targets: [label: string, url: () => string][] = [
  ["stub", () => stub.url],
  ...(realRedis ? [["real server", () => realRedis] as [string, () => string]] : []),
];

for (const [label, url] of targets) {
  cacheSuite(`redis (${label})`, async () => {
    const client = await connect(url());
    await client.flushdb();
    return {
      provider: new RedisBlobDescriptorCacheProvider(client),
      requestsSent: label === "stub" ? () => stub.commands.length : undefined,
      cleanup: async () => client.disconnect(),
    };
  });
}

const descriptor = (content: string, mediaType = "application/octet-stream"): Descriptor => ({
  digest: digestOf(content),
  size: content.length,
  mediaType,
});

for (const [label, url] of targets) {
  describe(`Distribution's key schema (${label})`, () => {
    let client: RedisClient;
    let raw: Redis;
    let provider: RedisBlobDescriptorCacheProvider;

    beforeEach(async () => {
      client = await connect(url());
      raw = new Redis(url());
      await raw.flushdb();
      provider = new RedisBlobDescriptorCacheProvider(client);
    });
    afterEach(() => {
      raw.disconnect();
      client.disconnect();
    });

    test("a scoped set writes exactly these keys and fields", async () => {
      const first = descriptor("schema", "application/vnd.first");
      await provider.repositoryScoped("lib/app").setDescriptor(first.digest, first);
      await provider
        .repositoryScoped("lib/other")
        .setDescriptor(first.digest, { ...first, mediaType: "application/vnd.second" });
      expect((await raw.keys("*")).sort()).toEqual([
        `blobs::${first.digest}`,
        "repository::lib/app::blobs",
        `repository::lib/app::blobs::${first.digest}`,
        "repository::lib/other::blobs",
        `repository::lib/other::blobs::${first.digest}`,
      ]);
      // HSETNX: the global media type is the first one written.
      expect(await raw.hgetall(`blobs::${first.digest}`)).toEqual({
        digest: first.digest,
        size: "6",
        mediatype: "application/vnd.first",
      });
      expect(await raw.smembers("repository::lib/app::blobs")).toEqual([first.digest]);
      expect(await raw.hgetall(`repository::lib/app::blobs::${first.digest}`)).toEqual({
        mediatype: "application/vnd.first",
      });
      expect(await raw.hgetall(`repository::lib/other::blobs::${first.digest}`)).toEqual({
        mediatype: "application/vnd.second",
      });
    });

    test("a global set updates digest and size but keeps the first media type", async () => {
      const first = descriptor("nx", "application/first");
      await provider.setDescriptor(first.digest, first);
      await provider.setDescriptor(first.digest, { ...first, mediaType: "application/second" });
      expect(await raw.hgetall(`blobs::${first.digest}`)).toEqual({
        digest: first.digest,
        size: "2",
        mediatype: "application/first",
      });
      expect((await provider.stat(first.digest)).mediaType).toBe("application/first");
    });

    test("a descriptor set under a sha512 key is written under both digests", async () => {
      const canonical = descriptor("two algorithms");
      const alias = digestOf("two algorithms", "sha512");
      await provider.repositoryScoped("alg").setDescriptor(alias, canonical);
      for (const key of [alias, canonical.digest]) {
        expect(await raw.hgetall(`blobs::${key}`)).toEqual({
          digest: canonical.digest,
          size: String(canonical.size),
          mediatype: canonical.mediaType,
        });
        expect(await raw.hgetall(`repository::alg::blobs::${key}`)).toEqual({
          mediatype: canonical.mediaType,
        });
      }
      expect((await raw.smembers("repository::alg::blobs")).sort()).toEqual(
        [alias, canonical.digest].sort(),
      );
    });

    test("a scoped clear removes the membership and the override, not the descriptor", async () => {
      const blob = descriptor("clear");
      await provider.repositoryScoped("lib/app").setDescriptor(blob.digest, blob);
      await provider.repositoryScoped("lib/app").clear(blob.digest);
      expect(await raw.exists("repository::lib/app::blobs")).toBe(0);
      expect(await raw.exists(`repository::lib/app::blobs::${blob.digest}`)).toBe(0);
      expect(await raw.hget(`blobs::${blob.digest}`, "size")).toBe("5");
    });

    test("a global clear deletes the whole hash, fields of older versions included", async () => {
      const digest = digestOf("old and new");
      await raw.hset(`blobs::${digest}`, "digest", digest, "length", "3", "size", "3");
      await provider.clear(digest);
      expect(await raw.exists(`blobs::${digest}`)).toBe(0);
    });

    test(`data written with "length" instead of "size" is a miss`, async () => {
      const digest = digestOf("old format");
      await raw.hset(`blobs::${digest}`, "digest", digest, "length", "10", "mediatype", "a/b");
      await raw.sadd("repository::old::blobs", digest);
      await expect(provider.stat(digest)).rejects.toMatchObject({ code: "BLOB_UNKNOWN" });
      await expect(provider.repositoryScoped("old").stat(digest)).rejects.toMatchObject({
        code: "BLOB_UNKNOWN",
      });
    });

    test("an entry with an unusable size or digest is a miss", async () => {
      const digest = digestOf("corrupt");
      await raw.hset(`blobs::${digest}`, "digest", digest, "size", "ten");
      await expect(provider.stat(digest)).rejects.toMatchObject({ code: "BLOB_UNKNOWN" });
      await raw.hset(`blobs::${digest}`, "digest", "not-a-digest", "size", "10");
      await expect(provider.stat(digest)).rejects.toMatchObject({ code: "BLOB_UNKNOWN" });
    });

    test("a member without an override hash falls back to the global media type", async () => {
      const digest = digestOf("no override");
      await raw.hset(`blobs::${digest}`, "digest", digest, "size", "3", "mediatype", "a/global");
      await raw.sadd("repository::plain::blobs", digest);
      expect(await provider.repositoryScoped("plain").stat(digest)).toEqual({
        digest,
        size: 3,
        mediaType: "a/global",
      });
    });

    test("a descriptor without membership is unknown to the repository", async () => {
      const blob = descriptor("global only");
      await provider.setDescriptor(blob.digest, blob);
      await expect(provider.repositoryScoped("lib/app").stat(blob.digest)).rejects.toMatchObject({
        code: "BLOB_UNKNOWN",
      });
    });
  });
}

describe("round trips (stub)", () => {
  let client: RedisClient;
  beforeEach(async () => {
    client = await connect(stub.url);
    await client.ping();
    stub.clearLog();
  });
  afterEach(() => client.disconnect());

  test("each operation is one transaction sent in one write", async () => {
    const provider = new RedisBlobDescriptorCacheProvider(client);
    const scoped = provider.repositoryScoped("rt");
    const blob = descriptor("round trip");
    await scoped.setDescriptor(blob.digest, blob);
    await scoped.stat(blob.digest);
    await scoped.clear(blob.digest);
    await provider.setDescriptor(blob.digest, blob);
    const key = `blobs::${blob.digest}`;
    const override = `repository::rt::blobs::${blob.digest}`;
    expect(stub.batches).toEqual([
      [
        ["multi"],
        ["sadd", "repository::rt::blobs", blob.digest],
        ["hset", key, "digest", blob.digest, "size", "10"],
        ["hsetnx", key, "mediatype", blob.mediaType],
        ["hset", override, "mediatype", blob.mediaType],
        ["exec"],
      ],
      [
        ["multi"],
        ["sismember", "repository::rt::blobs", blob.digest],
        ["hmget", key, "digest", "size", "mediatype"],
        ["hget", override, "mediatype"],
        ["exec"],
      ],
      [["multi"], ["srem", "repository::rt::blobs", blob.digest], ["del", override], ["exec"]],
      [
        ["multi"],
        ["hset", key, "digest", blob.digest, "size", "10"],
        ["hsetnx", key, "mediatype", blob.mediaType],
        ["exec"],
      ],
    ]);
  });

  test("a failed command inside the transaction is a cache error, not a miss", async () => {
    const scoped = new RedisBlobDescriptorCacheProvider(client).repositoryScoped("rt");
    stub.failing.add("hmget");
    try {
      const error = await scoped.stat(digestOf("x")).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(Error);
      expect((error as { code?: string }).code).not.toBe("BLOB_UNKNOWN");
    } finally {
      stub.failing.clear();
    }
  });
});
