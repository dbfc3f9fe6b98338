import { afterEach, describe, expect, test } from "bun:test";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { loadConfig } from "../../src/config/load.ts";
import { Health, OnDemandCheck, PeriodicCheck } from "../../src/health/health.ts";
import { silentLogger } from "../../src/log.ts";
import { startServer } from "../../src/server.ts";
import { buildRegistry, type Registry } from "../../src/wire.ts";
import { freePort, tempDir } from "../support/process.ts";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until(condition: () => Promise<boolean>): Promise<boolean> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await condition()) return true;
    await Bun.sleep(20);
  }
  return false;
}

describe("/healthz", () => {
  test("turns 503 when the storage root becomes unwritable and 200 when it is fixed", async () => {
    const dir = await tempDir();
    cleanups.push(dir.cleanup);
    const root = `${dir.path}/data`;
    await mkdir(root);
    const config = loadConfig({
      text: `version: 0.1\nstorage:\n  filesystem: {rootdirectory: ${root}}\nhealth:\n  storagedriver: {enabled: true, interval: 20ms, threshold: 2}\n`,
    });
    const registry: Registry = buildRegistry(config, silentLogger);
    cleanups.push(() => registry.close());
    await registry.start();
    const status = async () =>
      (await registry.app.handle(new Request("http://registry.test/healthz"))).status;
    expect(await status()).toBe(200);

    // The root is replaced by a plain file: nothing can be written below it any more.
    await rename(root, `${dir.path}/moved`);
    await writeFile(root, "not a directory");
    expect(await until(async () => (await status()) === 503)).toBe(true);
    const report = (await (
      await registry.app.handle(new Request("http://registry.test/healthz"))
    ).json()) as { status: string; checks: Record<string, { status: string; error?: string }> };
    expect(report.status).toBe("unhealthy");
    expect(report.checks.storage?.status).toBe("failing");
    expect(report.checks.storage?.error).toBeString();

    await rm(root);
    await rename(`${dir.path}/moved`, root);
    expect(await until(async () => (await status()) === 200)).toBe(true);
  });
});

describe("health checks", () => {
  test("an optional check that fails is reported but leaves the registry healthy", async () => {
    const health = new Health([
      new OnDemandCheck("redis", false, async () => {
        throw new Error("connection refused");
      }),
      new OnDemandCheck("slow upstream", false, () => new Promise(() => {}), 50),
    ]);
    const report = await health.report();
    expect(report.healthy).toBe(true);
    expect(report.checks.redis).toMatchObject({
      status: "failing",
      required: false,
      error: "connection refused",
    });
    expect(report.checks["slow upstream"]?.error).toContain("no answer");
  });

  test("a periodic check fails only after `threshold` failures in a row", async () => {
    let failing = true;
    const check = new PeriodicCheck(
      "storage",
      true,
      async () => {
        if (failing) throw new Error("disk full");
      },
      { interval: 60_000, threshold: 3 },
    );
    await check.runOnce();
    await check.runOnce();
    expect((await check.result()).status).toBe("ok");
    await check.runOnce();
    expect((await check.result()).status).toBe("failing");
    failing = false;
    await check.runOnce();
    expect((await check.result()).status).toBe("ok");
  });
});

describe("debug server", () => {
  test("serves /metrics and /debug/health on http.debug.addr", async () => {
    const [port, debugPort] = [await freePort(), await freePort()];
    const config = loadConfig({
      text: `version: 0.1\nstorage:\n  inmemory:\nhttp:\n  addr: 127.0.0.1:${port}\n  debug:\n    addr: 127.0.0.1:${debugPort}\n    prometheus: {enabled: true, path: /metrics}\n`,
    });
    const server = await startServer(config, silentLogger);
    cleanups.push(() => server.shutdown());
    expect((await fetch(`${server.url}/v2/`)).status).toBe(200);
    const metrics = await fetch(`${server.debugURL}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain(
      'registry_http_requests_total{code="200",handler="base",method="GET"} 1',
    );
    const health = await fetch(`${server.debugURL}/debug/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { checks: Record<string, unknown> }).checks).toHaveProperty(
      "storage",
    );
  });
});
