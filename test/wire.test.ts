import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { Redis } from "ioredis";
import { loadConfig } from "../src/config/load.ts";
import { silentLogger } from "../src/log.ts";
import { digestOf } from "../src/registry/digest.ts";
import { waitUntilReady } from "../src/storage/cache/redisclient.ts";
import { buildRegistry, normalizePrefix, type Registry } from "../src/wire.ts";
import { RedisStub } from "./support/redisstub.ts";

const request = (registry: Registry, method: string, path: string, body?: Uint8Array) =>
  registry.app.handle(new Request(`http://registry.test${path}`, { method, body }));

async function push(registry: Registry, name: string, content: string): Promise<string> {
  const digest = digestOf(content);
  const response = await request(
    registry,
    "POST",
    `/v2/${name}/blobs/uploads/?digest=${digest}`,
    new TextEncoder().encode(content),
  );
  expect(response.status).toBe(201);
  return digest;
}

describe("registry built from config with the redis descriptor cache", () => {
  let stub: RedisStub;
  let registry: Registry;
  let raw: Redis;

  beforeEach(async () => {
    stub = await RedisStub.start();
    const config = loadConfig({
      text: `version: 0.1
storage:
  inmemory:
  delete: {enabled: true}
  cache: {blobdescriptor: redis}
redis:
  addr: 127.0.0.1:${stub.port}
  dialtimeout: 200ms
  readtimeout: 200ms
  writetimeout: 200ms
`,
    });
    registry = buildRegistry(config, silentLogger);
    await waitUntilReady(registry.cache?.redis as never, 5000);
    raw = new Redis(stub.url);
  });

  afterEach(async () => {
    raw.disconnect();
    await registry.close();
    stub.stop();
  });

  test("a push and a HEAD leave Distribution's keys; a delete removes the membership", async () => {
    const digest = await push(registry, "lib/app", "cached blob");
    expect((await request(registry, "HEAD", `/v2/lib/app/blobs/${digest}`)).status).toBe(200);
    expect(await raw.hgetall(`blobs::${digest}`)).toEqual({
      digest,
      size: "11",
      mediatype: "application/octet-stream",
    });
    expect(await raw.smembers("repository::lib/app::blobs")).toEqual([digest]);

    expect((await request(registry, "DELETE", `/v2/lib/app/blobs/${digest}`)).status).toBe(202);
    expect((await request(registry, "HEAD", `/v2/lib/app/blobs/${digest}`)).status).toBe(404);
    expect(await raw.sismember("repository::lib/app::blobs", digest)).toBe(0);
  });

  test("Redis down: HEAD, GET and push keep working; back: keys reappear on the next HEAD", async () => {
    const cached = await push(registry, "lib/app", "before the outage");
    stub.stop();
    expect((await request(registry, "HEAD", `/v2/lib/app/blobs/${cached}`)).status).toBe(200);
    expect(await (await request(registry, "GET", `/v2/lib/app/blobs/${cached}`)).text()).toBe(
      "before the outage",
    );
    const pushedDuringOutage = await push(registry, "lib/app", "during the outage");
    expect(
      (await request(registry, "HEAD", `/v2/lib/app/blobs/${pushedDuringOutage}`)).status,
    ).toBe(200);

    stub.start();
    expect(await waitUntilReady(registry.cache?.redis as never, 10_000)).toBe(true);
    expect(
      (await request(registry, "HEAD", `/v2/lib/app/blobs/${pushedDuringOutage}`)).status,
    ).toBe(200);
    expect(await raw.sismember("repository::lib/app::blobs", pushedDuringOutage)).toBe(1);
  });
});

describe("normalizePrefix", () => {
  test.each([
    ["", ""],
    ["/", ""],
    ["/registry/", "/registry"],
    ["registry", "/registry"],
    ["/a/b", "/a/b"],
  ])("%p → %p", (input, output) => expect(normalizePrefix(input)).toBe(output));
});
