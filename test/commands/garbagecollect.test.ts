import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { runGarbageCollect } from "../../src/commands/garbagecollect.ts";
import { loadConfig } from "../../src/config/load.ts";
import { silentLogger } from "../../src/log.ts";
import { startServer } from "../../src/server.ts";
import { FilesystemDriver } from "../../src/storage/driver/filesystem.ts";
import { captureIO } from "../support/io.ts";
import { freePort, tempDir } from "../support/process.ts";
import { bytes, pushBlob, testRegistry } from "../support/registry.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(extra = "") {
  const dir = await tempDir();
  cleanups.push(dir.cleanup);
  const port = await freePort();
  const root = join(dir.path, "data");
  const configPath = join(dir.path, "config.yml");
  await Bun.write(
    configPath,
    `version: 0.1\nstorage:\n  filesystem: {rootdirectory: ${root}}\n  delete: {enabled: true}\nhttp:\n  addr: 127.0.0.1:${port}\n${extra}`,
  );
  const registry = testRegistry({ driver: new FilesystemDriver({ rootdirectory: root }) });
  const orphan = await pushBlob(registry, "app", bytes("orphan blob, no manifest"));
  return { configPath, orphan };
}

describe("skiff garbage-collect", () => {
  test("dry run prints what would go and the bytes, deletes nothing; real run deletes", async () => {
    const { configPath, orphan } = await setup();
    const dry = captureIO();
    expect(await runGarbageCollect([configPath, "--dry-run"], dry.io)).toBe(0);
    expect(dry.out.join("")).toContain(`blob eligible for deletion: ${orphan}`);
    expect(dry.out.join("")).toContain("would free 24 bytes (dry run: nothing deleted)");
    const real = captureIO();
    expect(await runGarbageCollect([configPath], real.io)).toBe(0);
    expect(real.out.join("")).toContain("1 blobs deleted, freed 24 bytes");
    const again = captureIO();
    await runGarbageCollect([configPath, "--dry-run"], again.io);
    expect(again.out.join("")).toContain("0 blobs eligible");
  });

  test("shows progress on a terminal", async () => {
    const { configPath } = await setup();
    const tty = captureIO(true);
    await runGarbageCollect([configPath, "--dry-run"], tty.io);
    expect(tty.err.join("")).toContain("sweeping: 1 blobs examined");
  });

  test("refuses while a writable registry serves the config, runs when it is read-only", async () => {
    const { configPath } = await setup();
    const server = await startServer(loadConfig({ path: configPath }), silentLogger);
    cleanups.push(() => server.shutdown());
    const refused = captureIO();
    expect(await runGarbageCollect([configPath, "--dry-run"], refused.io)).toBe(1);
    expect(refused.err.join("")).toContain("refusing to collect garbage");
    const readonlyConfig = `${configPath}.ro.yml`;
    await Bun.write(
      readonlyConfig,
      `${await Bun.file(configPath).text()}\n`.replace(
        "  delete: {enabled: true}\n",
        "  delete: {enabled: true}\n  maintenance: {readonly: {enabled: true}}\n",
      ),
    );
    expect(await runGarbageCollect([readonlyConfig, "--dry-run"], captureIO().io)).toBe(0);
  });

  test("bad arguments print usage", async () => {
    const bad = captureIO();
    expect(await runGarbageCollect(["--frob"], bad.io)).toBe(2);
    expect(bad.err.join("")).toContain("usage");
  });
});
