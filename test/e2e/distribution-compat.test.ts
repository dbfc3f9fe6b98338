import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type LayoutImage, writeOciLayout } from "../support/ocilayout.ts";
import {
  buildBinary,
  freePort,
  requireTools,
  run,
  type ServerProcess,
  skopeoDigest,
  startServer,
  tempDir,
  writeConfig,
} from "../support/process.ts";

const enabled = requireTools("skopeo", "docker-registry");

/**
 * One config.yml and one data folder, served in turn by Distribution 2.8.2 and by skiff:
 * what one wrote, the other serves.
 */
describe.skipIf(!enabled)("Distribution 2.8.2 compatibility", () => {
  let work: Awaited<ReturnType<typeof tempDir>>;
  let binary: string;
  let config: string;
  let port: number;
  let image: LayoutImage;
  const running: ServerProcess[] = [];

  const distribution = async () =>
    track(await startServer(["docker-registry", "serve", config], port));
  const skiff = async () => track(await startServer([binary, "serve", config], port));
  const track = (server: ServerProcess) => {
    running.push(server);
    return server;
  };
  const ref = (path: string) => `docker://127.0.0.1:${port}/${path}`;
  const digestOf = (path: string) => skopeoDigest(ref(path));

  beforeAll(async () => {
    work = await tempDir();
    binary = await buildBinary();
    port = await freePort();
    config = await writeConfig(work.path, port, join(work.path, "data"));
    image = await writeOciLayout(join(work.path, "image"), {
      layers: 2,
      layerSize: 128 * 1024,
      seed: 7,
    });
  });

  afterAll(async () => {
    for (const server of running) await server.stop().catch(() => undefined);
    await work?.cleanup();
  });

  test("the same config.yml starts skiff and Distribution", async () => {
    const checked = await run([binary, "config", "check", config]);
    expect(checked).toContain("rootdirectory");
  });

  test("an image pushed to Distribution is served by skiff", async () => {
    const reference = await distribution();
    await run([
      "skopeo",
      "copy",
      "--dest-tls-verify=false",
      `oci:${image.dir}:${image.tag}`,
      ref("compat/from-distribution:v1"),
    ]);
    await run([
      "skopeo",
      "copy",
      "--format",
      "v2s2",
      "--dest-tls-verify=false",
      `oci:${image.dir}:${image.tag}`,
      ref("compat/from-distribution:docker"),
    ]);
    const dockerDigest = await digestOf("compat/from-distribution:docker");
    await reference.stop();

    const server = await skiff();
    expect(await digestOf("compat/from-distribution:v1")).toBe(image.manifestDigest);
    expect(await digestOf("compat/from-distribution:docker")).toBe(dockerDigest);
    const pulled = join(work.path, "pulled-from-distribution");
    await run([
      "skopeo",
      "copy",
      "--src-tls-verify=false",
      ref("compat/from-distribution:v1"),
      `oci:${pulled}:v1`,
    ]);
    const catalog = (await (await fetch(`${server.url}/v2/_catalog`)).json()) as {
      repositories: string[];
    };
    expect(catalog.repositories).toContain("compat/from-distribution");
    const tags = (await (
      await fetch(`${server.url}/v2/compat/from-distribution/tags/list`)
    ).json()) as { tags: string[] };
    expect(tags.tags).toEqual(["docker", "v1"]);
    await server.stop();
  });

  test("an image pushed to skiff is served by Distribution", async () => {
    const server = await skiff();
    await run([
      "skopeo",
      "copy",
      "--dest-tls-verify=false",
      `oci:${image.dir}:${image.tag}`,
      ref("compat/from-skiff:v1"),
    ]);
    await server.stop();

    await distribution();
    expect(await digestOf("compat/from-skiff:v1")).toBe(image.manifestDigest);
    const pulled = join(work.path, "pulled-from-skiff");
    await run([
      "skopeo",
      "copy",
      "--src-tls-verify=false",
      ref("compat/from-skiff:v1"),
      `oci:${pulled}:v1`,
    ]);
  });
});
