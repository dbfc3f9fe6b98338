import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { runtimeDefaults } from "../src/runtimeenv.ts";
import { freePort, tempDir } from "./support/process.ts";

const cli = join(import.meta.dir, "../src/cli.ts");

async function run(args: string[], env: Record<string, string> = {}) {
  const child = Bun.spawn([process.execPath, cli, ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...env },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { stdout, stderr, code };
}

describe("skiff CLI", () => {
  test("--version prints the version", async () => {
    const { stdout, code } = await run(["--version"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^skiff \d+\.\d+\.\d+ \(/);
  });

  test("config check rejects an invalid file with the key path, and redacts secrets", async () => {
    const dir = await tempDir();
    const bad = join(dir.path, "bad.yml");
    await Bun.write(bad, "storage:\n  inmemory:\n  delete: {enabled: sometimes}\n");
    const invalid = await run(["config", "check", bad]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain("storage.delete.enabled");
    const good = join(dir.path, "good.yml");
    await Bun.write(
      good,
      "storage:\n  inmemory:\nredis:\n  addr: 127.0.0.1:6379\n  password: hunter2\nnotifications: {}\n",
    );
    const valid = await run(["config", "check", good]);
    expect(valid.code).toBe(0);
    expect(valid.stdout).not.toContain("hunter2");
    expect(valid.stderr).toContain('unknown configuration key "notifications"');
    await dir.cleanup();
  });

  test("unknown commands fail with usage", async () => {
    const { code, stderr } = await run(["frobnicate"]);
    expect(code).toBe(2);
    expect(stderr).toContain("Usage");
  });

  test("serve drains on SIGTERM and exits 0", async () => {
    const server = await serveInMemory();
    server.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });

  // The restart is an exec: the same pid, now with the defaults in its environment.
  test.skipIf(!existsSync("/proc/self/environ"))(
    "serve gives itself the runtime defaults, keeping the operator's own values",
    async () => {
      const inherited = Object.fromEntries(
        Object.entries(process.env).filter(([name]) => !(name in runtimeDefaults)),
      );
      const defaults = Object.entries(runtimeDefaults).map(([name, value]) => `${name}=${value}`);
      for (const [env, expected] of [
        [inherited, defaults],
        [
          { ...inherited, UV_THREADPOOL_SIZE: "3" },
          ["UV_THREADPOOL_SIZE=3", ...defaults.filter((d) => !d.startsWith("UV_THREADPOOL_SIZE="))],
        ],
      ] as const) {
        const server = await serveInMemory(env);
        const environ = readFileSync(`/proc/${server.pid}/environ`, "utf8").split("\0");
        for (const setting of expected) expect(environ).toContain(setting);
        server.kill("SIGTERM");
        expect(await server.exited).toBe(0);
      }
    },
  );
});

/** `skiff serve` on in-memory storage, once its /v2/ answers. */
async function serveInMemory(
  env: Record<string, string | undefined> = process.env,
): Promise<Subprocess> {
  const port = await freePort();
  const spawned = Bun.spawn([process.execPath, cli, "serve"], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...env, REGISTRY_STORAGE: "inmemory", REGISTRY_HTTP_ADDR: `127.0.0.1:${port}` },
  });
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    await Bun.sleep(50);
  }
  expect((await fetch(`http://127.0.0.1:${port}/v2/`)).status).toBe(200);
  return spawned;
}
