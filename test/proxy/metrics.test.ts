import { afterEach, expect, test } from "bun:test";
import { silentLogger } from "../../src/log.ts";
import type { MirrorMetrics } from "../../src/proxy/metrics.ts";
import { createMirror } from "../../src/proxy/wire.ts";
import type { Digest } from "../../src/registry/digest.ts";
import { InMemoryDriver } from "../../src/storage/driver/inmemory.ts";
import { LocalNamespace } from "../../src/storage/registry.ts";
import { pushBlob, randomBytes } from "../support/registry.ts";
import { TestUpstream } from "../support/upstream.ts";
import { seeder } from "./support.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

test("the mirror reports upstream requests, bytes from upstream and from cache, and joins", async () => {
  const up = await new TestUpstream().start();
  cleanups.push(() => up.stop());
  const content = randomBytes(200_000, 4);
  const digest = (await pushBlob(seeder(up), "org/app", content)) as Digest;
  const counts = { requests: 0, upstreamBytes: 0, cacheBytes: 0, joins: 0, expiries: 0 };
  const metrics: MirrorMetrics = {
    upstreamRequest: () => void counts.requests++,
    bytesFromUpstream: (bytes) => {
      counts.upstreamBytes += bytes;
    },
    bytesFromCache: (bytes) => {
      counts.cacheBytes += bytes;
    },
    joined: () => void counts.joins++,
    expired: () => void counts.expiries++,
  };
  const driver = new InMemoryDriver();
  const local = { driver, deleteEnabled: true, redirect: false };
  const mirror = createMirror({
    upstreams: [{ prefix: "", remoteurl: up.url, ttl: 0 }],
    driver,
    hosted: new LocalNamespace(local),
    local,
    logger: silentLogger,
    metrics,
  });
  const repository = mirror.namespace.repository("org/app");
  const read = async () => {
    const content = await repository.blobs.open(digest, "GET");
    if (content.kind === "stream") await new Response(content.stream).arrayBuffer();
  };
  await Promise.all([read(), read(), read()]);
  expect(counts.upstreamBytes).toBe(content.byteLength);
  expect(counts.joins).toBe(2);
  expect(counts.requests).toBeGreaterThanOrEqual(2);
  await mirror.fetcher.settled();
  await read();
  expect(counts.cacheBytes).toBe(content.byteLength);
});
