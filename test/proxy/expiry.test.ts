import { afterEach, describe, expect, test } from "bun:test";
import { silentLogger } from "../../src/log.ts";
import { TTLScheduler } from "../../src/proxy/scheduler.ts";
import { InMemoryDriver } from "../../src/storage/driver/inmemory.ts";
import { blobDataPath } from "../../src/storage/paths.ts";
import { pushImage, tempFilesystemDriver } from "../support/registry.ts";
import { TestUpstream } from "../support/upstream.ts";
import { seeder, startMirror } from "./support.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A clock the test moves by hand. */
function fakeClock(start = Date.parse("2026-01-01T00:00:00Z")) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const hour = 3_600_000;

describe("TTL expiry of mirrored content", () => {
  test("pulled blobs and manifests expire after the TTL, data included, also across a restart", async () => {
    const up = await new TestUpstream().start();
    cleanups.push(() => up.stop());
    const image = await pushImage(seeder(up), "org/app", "v1");
    const fs = await tempFilesystemDriver();
    cleanups.push(fs.cleanup);
    const clock = fakeClock();

    const first = await startMirror([{ prefix: "", url: up.url, ttl: "1h" }], {
      driver: fs.driver,
      now: clock.now,
    });
    expect((await first.request("GET", "/v2/org/app/manifests/v1")).status).toBe(200);
    for (const digest of [image.config, ...image.layers])
      await (await first.request("GET", `/v2/org/app/blobs/${digest}`)).arrayBuffer();
    // A graceful stop finishes storing (and scheduling) what clients received.
    await first.registry.close();
    const state = JSON.parse(await Bun.file(`${fs.root}/scheduler-state.json`).text()) as Record<
      string,
      { Key: string; ExpiryData: string; EntryType: number }
    >;
    expect(Object.keys(state).sort()).toEqual(
      [
        `org/app@${image.digest}`,
        ...[image.config, ...image.layers].map((d) => `org/app@${d}`),
      ].sort(),
    );
    expect(state[`org/app@${image.digest}`]?.EntryType).toBe(1);
    expect(state[`org/app@${image.config}`]?.EntryType).toBe(0);

    // Restart after the TTL passed: the reloaded schedule expires everything at start.
    clock.advance(hour + 1);
    const second = await startMirror([{ prefix: "", url: up.url, ttl: "1h" }], {
      driver: fs.driver,
      now: clock.now,
    });
    cleanups.push(() => second.registry.close());
    for (const digest of [image.digest, image.config, ...image.layers]) {
      await expect(fs.driver.stat(blobDataPath(digest))).rejects.toThrow();
    }
    expect(second.registry.mirror?.scheduler.size).toBe(0);
    await up.stop();
    expect((await second.request("GET", "/v2/org/app/manifests/v1")).status).toBe(502);
  });

  test("content still linked by another repository keeps its data", async () => {
    const up = await new TestUpstream().start();
    cleanups.push(() => up.stop());
    const image = await pushImage(seeder(up), "org/app", "v1");
    const clock = fakeClock();
    const mirror = await startMirror([{ prefix: "", url: up.url, ttl: "1h" }], { now: clock.now });
    cleanups.push(() => mirror.registry.close());
    const stored = () => mirror.registry.mirror?.fetcher.settled();
    await (await mirror.request("GET", `/v2/org/app/blobs/${image.layers[0]}`)).arrayBuffer();
    await stored();
    clock.advance(30 * 60_000);
    await up.seed("POST", `/v2/org/copy/blobs/uploads/?mount=${image.layers[0]}&from=org/app`);
    await (await mirror.request("GET", `/v2/org/copy/blobs/${image.layers[0]}`)).arrayBuffer();
    await stored();
    clock.advance(31 * 60_000);
    await mirror.registry.mirror?.scheduler.runDue();
    expect((await mirror.request("HEAD", `/v2/org/copy/blobs/${image.layers[0]}`)).status).toBe(
      200,
    );
    expect(await mirror.registry.driver.stat(blobDataPath(image.layers[0] as never))).toBeDefined();
  });
});

describe("TTLScheduler", () => {
  test("a TTL of zero or less never expires", async () => {
    const driver = new InMemoryDriver();
    const expired: string[] = [];
    const scheduler = new TTLScheduler({
      driver,
      logger: silentLogger,
      expire: async (entry) => void expired.push(entry.key),
    });
    await scheduler.start();
    await scheduler.schedule("a@sha256:x", "blob", 0);
    await scheduler.schedule("b@sha256:y", "blob", -5);
    expect(scheduler.size).toBe(0);
    scheduler.stop();
  });

  test("a failed expiry is retried later, not lost", async () => {
    const driver = new InMemoryDriver();
    const clock = fakeClock();
    let fail = true;
    const scheduler = new TTLScheduler({
      driver,
      logger: silentLogger,
      now: clock.now,
      expire: async () => {
        if (fail) throw new Error("storage hiccup");
      },
    });
    await scheduler.start();
    await scheduler.schedule("repo@sha256:z", "manifest", 1000);
    clock.advance(1001);
    await scheduler.runDue();
    expect(scheduler.size).toBe(1);
    fail = false;
    clock.advance(61_000);
    await scheduler.runDue();
    expect(scheduler.size).toBe(0);
    scheduler.stop();
  });
});
