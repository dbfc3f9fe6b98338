import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { buildBinary, freePort, repoRoot, startServer, tempDir } from "./support/process.ts";

/** The image cannot be built here (no base images); what it copies and runs can be tested. */
describe("container image", () => {
  const dockerfile = () => Bun.file(join(repoRoot, "Dockerfile")).text();

  test("the Dockerfile builds with the project's own commands and ships the tested config", async () => {
    const text = await dockerfile();
    expect(text).toContain("RUN bun run build");
    expect(text).toContain("COPY --from=build /src/dist/skiff /usr/local/bin/skiff");
    expect(text).toContain("COPY docker/config.yml /etc/skiff/config.yml");
    expect(text).toContain("USER skiff");
    expect(text).toContain("VOLUME /var/lib/registry");
    expect(text).toContain("EXPOSE 5000 5001");
    expect(text).toMatch(
      /HEALTHCHECK .*skiff", "healthcheck", "http:\/\/127\.0\.0\.1:5000\/healthz"/,
    );
  });

  test("the compiled binary starts with the shipped config and its healthcheck passes", async () => {
    const binary = await buildBinary();
    const dir = await tempDir();
    const [port, debugPort] = [await freePort(), await freePort()];
    const check = Bun.spawnSync([binary, "config", "check", join(repoRoot, "docker/config.yml")]);
    expect(check.exitCode).toBe(0);
    process.env.REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY = dir.path;
    process.env.REGISTRY_HTTP_ADDR = `127.0.0.1:${port}`;
    process.env.REGISTRY_HTTP_DEBUG_ADDR = `127.0.0.1:${debugPort}`;
    try {
      const server = await startServer(
        [binary, "serve", join(repoRoot, "docker/config.yml")],
        port,
      );
      const healthy = Bun.spawnSync([binary, "healthcheck", `${server.url}/healthz`]);
      expect(healthy.exitCode).toBe(0);
      expect((await fetch(`http://127.0.0.1:${debugPort}/metrics`)).status).toBe(200);
      await server.stop();
      const down = Bun.spawnSync([binary, "healthcheck", `${server.url}/healthz`]);
      expect(down.exitCode).not.toBe(0);
    } finally {
      delete process.env.REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY;
      delete process.env.REGISTRY_HTTP_ADDR;
      delete process.env.REGISTRY_HTTP_DEBUG_ADDR;
      await dir.cleanup();
    }
  });
});
