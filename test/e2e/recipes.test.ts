import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type LayoutImage, writeOciLayout } from "../support/ocilayout.ts";
import {
  buildBinary,
  requireTools,
  type ServerProcess,
  skopeoPush,
  startMirrorPair,
  tempDir,
} from "../support/process.ts";

const enabled = requireTools("podman", "skopeo");

/** The README's podman recipe: registries.conf sends pulls of a registry to the skiff mirror. */
describe.skipIf(!enabled)("README recipe: podman through the mirror", () => {
  let work: Awaited<ReturnType<typeof tempDir>>;
  let upstream: ServerProcess;
  let mirror: ServerProcess;
  let image: LayoutImage;

  beforeAll(async () => {
    work = await tempDir();
    const binary = await buildBinary();
    const pair = await startMirrorPair(binary, work.path, "registry.example");
    upstream = pair.upstream;
    mirror = pair.mirror;
    image = await writeOciLayout(join(work.path, "image"), {
      layers: 2,
      layerSize: 64 * 1024,
      seed: 3,
    });
    await skopeoPush(image, `docker://${upstream.host}/team/app:v1`);
  });

  afterAll(async () => {
    await mirror?.stop();
    await upstream?.stop();
    await work?.cleanup();
  });

  test("podman pull registry.example/team/app:v1 is served by the mirror", async () => {
    const conf = join(work.path, "registries.conf");
    // As in the README, with the upstream's real address standing in for registry.example.
    await Bun.write(
      conf,
      `[[registry]]\nprefix = "registry.example"\nlocation = "${upstream.host}"\ninsecure = true\n\n[[registry.mirror]]\nlocation = "${mirror.host}/registry.example"\ninsecure = true\n`,
    );
    const storage = [
      "--storage-driver",
      "vfs",
      "--root",
      join(work.path, "podman-root"),
      "--runroot",
      join(work.path, "podman-run"),
    ];
    const child = Bun.spawn(["podman", ...storage, "pull", "registry.example/team/app:v1"], {
      env: { ...process.env, CONTAINERS_REGISTRIES_CONF: conf },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    expect(`${code} ${stderr}`).toStartWith("0 ");
    expect(stdout.trim()).toMatch(/^[a-f0-9]{64}$/);
    for (const layer of image.layerDigests) {
      const response = await fetch(`${mirror.url}/v2/registry.example/team/app/blobs/${layer}`, {
        method: "HEAD",
      });
      expect(response.status).toBe(200);
    }
  });
});
