import { afterEach, describe, expect, test } from "bun:test";
import { runWarm } from "../../src/commands/warm.ts";
import { loadConfig } from "../../src/config/load.ts";
import { silentLogger } from "../../src/log.ts";
import { mediaTypes } from "../../src/registry/mediatypes.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import { FilesystemDriver } from "../../src/storage/driver/filesystem.ts";
import { blobDataPath } from "../../src/storage/paths.ts";
import { seeder } from "../proxy/support.ts";
import { captureIO } from "../support/io.ts";
import { freePort, tempDir } from "../support/process.ts";
import { bytes, pushImage } from "../support/registry.ts";
import { TestUpstream } from "../support/upstream.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function mirrorOfUpstream() {
  const upstream = await new TestUpstream().start();
  cleanups.push(() => upstream.stop());
  const dir = await tempDir();
  cleanups.push(dir.cleanup);
  const port = await freePort();
  const config = loadConfig({
    text: `version: 0.1\nstorage:\n  filesystem: {rootdirectory: ${dir.path}}\nhttp:\n  addr: 127.0.0.1:${port}\nproxies:\n  - prefix: up.test\n    remoteurl: ${upstream.url}\n`,
  });
  const server: RunningServer = await startServer(config, silentLogger);
  cleanups.push(() => server.shutdown());
  return { upstream, server, driver: server.registry.driver };
}

describe("skiff warm", () => {
  test("pre-fills the mirror: the blobs land, a second run finds them cached", async () => {
    const { upstream, server, driver } = await mirrorOfUpstream();
    const amd = await pushImage(seeder(upstream), "org/app", "amd64", 1, 2);
    const arm = await pushImage(seeder(upstream), "org/app", "arm64", 2, 2);
    const index = bytes(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: mediaTypes.ociIndex,
        manifests: [
          {
            mediaType: mediaTypes.ociManifest,
            digest: amd.digest,
            size: amd.manifest.byteLength,
            platform: { os: "linux", architecture: "amd64" },
          },
          {
            mediaType: mediaTypes.ociManifest,
            digest: arm.digest,
            size: arm.manifest.byteLength,
            platform: { os: "linux", architecture: "arm64" },
          },
        ],
      }),
    );
    await upstream.seed("PUT", "/v2/org/app/manifests/multi", index, {
      "Content-Type": mediaTypes.ociIndex,
    });

    const first = captureIO();
    expect(
      await runWarm(
        ["--registry", server.url, "--platform", "linux/arm64", "up.test/org/app:multi"],
        first.io,
      ),
    ).toBe(0);
    // The mirror stores a blob just after its client has it all.
    await server.registry.mirror?.fetcher.settled();
    for (const digest of arm.layers)
      expect((await driver.stat(blobDataPath(digest))).size).toBeGreaterThan(0);
    await expect(driver.stat(blobDataPath(amd.layers[0] as never))).rejects.toThrow();
    expect(first.out.join("")).toContain("1 of 1 images warmed");
    expect(first.out.join("")).toMatch(/fetched from upstream, 0 B already cached/);

    const again = captureIO();
    expect(
      await runWarm(
        ["--registry", server.url, "up.test/org/app:multi", `up.test/org/app@${amd.digest}`],
        again.io,
      ),
    ).toBe(0);
    await server.registry.mirror?.fetcher.settled();
    for (const digest of amd.layers)
      expect((await driver.stat(blobDataPath(digest))).size).toBeGreaterThan(0);
    expect(again.out.join("")).toContain("2 of 2 images warmed");
  });

  test("with --config it warms straight into the storage, no server running", async () => {
    const upstream = await new TestUpstream().start();
    cleanups.push(() => upstream.stop());
    const image = await pushImage(seeder(upstream), "org/direct", "v1");
    const dir = await tempDir();
    cleanups.push(dir.cleanup);
    const config = `${dir.path}/config.yml`;
    await Bun.write(
      config,
      `version: 0.1\nstorage:\n  filesystem: {rootdirectory: ${dir.path}/data}\nproxies:\n  - prefix: up.test\n    remoteurl: ${upstream.url}\n`,
    );
    const run = captureIO();
    expect(await runWarm(["--config", config, "up.test/org/direct:v1"], run.io)).toBe(0);
    const driver = new FilesystemDriver({ rootdirectory: `${dir.path}/data` });
    for (const digest of [image.config, ...image.layers])
      expect((await driver.stat(blobDataPath(digest))).size).toBeGreaterThan(0);
  });

  test("reports failures and exits non-zero", async () => {
    const { server } = await mirrorOfUpstream();
    const run = captureIO();
    expect(await runWarm(["--registry", server.url, "up.test/missing/image:v1"], run.io)).toBe(1);
    expect(run.err.join("")).toContain("up.test/missing/image:v1");
  });

  test("draws per-image and total progress bars on a terminal", async () => {
    const { upstream, server } = await mirrorOfUpstream();
    await pushImage(seeder(upstream), "org/tty", "v1");
    const tty = captureIO(true);
    expect(
      await runWarm(
        ["--registry", server.url, "--file", await refsFile(["up.test/org/tty:v1", "# a comment"])],
        tty.io,
      ),
    ).toBe(0);
    const screen = tty.err.join("");
    expect(screen).toContain("up.test/org/tty:v1");
    expect(screen).toContain("total");
    expect(screen).toMatch(/\[#+\]/);
    expect(screen).toContain("\u001b[2K");
  });

  test("bad arguments print usage", async () => {
    const run = captureIO();
    expect(await runWarm(["--platform", "linux"], run.io)).toBe(2);
    expect(run.err.join("")).toContain("usage");
  });
});

async function refsFile(lines: string[]): Promise<string> {
  const dir = await tempDir();
  cleanups.push(dir.cleanup);
  const path = `${dir.path}/refs.txt`;
  await Bun.write(path, lines.join("\n"));
  return path;
}
