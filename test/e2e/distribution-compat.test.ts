import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type LayoutImage,
  type LayoutIndex,
  writeOciIndexLayout,
  writeOciLayout,
} from "../support/ocilayout.ts";
import {
  buildBinary,
  freePort,
  logsOnFailure,
  requireTools,
  run,
  type ServerProcess,
  skopeoDigest,
  startServer,
  tempDir,
} from "../support/process.ts";
import { randomBytes } from "../support/registry.ts";

const enabled = requireTools("skopeo", "docker-registry");

// Distribution answers 404 for an OCI manifest unless the client says it accepts OCI.
const manifestTypes = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

const sha256 = (data: Uint8Array) =>
  `sha256:${new Bun.CryptoHasher("sha256").update(data).digest("hex")}`;

/**
 * A typical Distribution config.yml (as Debian ships it, plus the keys operators commonly set),
 * without `notifications`: skiff and Distribution must both start from this very file.
 */
function distributionConfig(root: string, port: number): string {
  return `version: 0.1
log:
  level: info
  formatter: text
  fields:
    service: registry
    environment: e2e
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: ${root}
    maxthreads: 100
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
  redirect:
    disable: true
  maintenance:
    uploadpurging:
      enabled: true
      age: 168h
      interval: 24h
      dryrun: false
    readonly:
      enabled: false
http:
  addr: 127.0.0.1:${port}
  secret: e2e-shared-secret
  draintimeout: 5s
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
`;
}

/**
 * One config.yml and one data folder, served in turn by Distribution 2.8.2 and by skiff:
 * what one wrote, the other serves.
 */
describe.skipIf(!enabled)("Distribution 2.8.2 compatibility", () => {
  let work: Awaited<ReturnType<typeof tempDir>>;
  let binary: string;
  let config: string;
  let root: string;
  let port: number;
  let image: LayoutImage;
  let other: LayoutImage;
  let multi: LayoutIndex;
  let current: ServerProcess | undefined;
  const logged = logsOnFailure(() => [current]);

  /** Only one registry at a time owns the port and the folder. */
  const serve = async (kind: "distribution" | "skiff") => {
    await current?.stop();
    current = undefined;
    const program = kind === "skiff" ? binary : "docker-registry";
    current = await startServer([program, "serve", config], port);
    return current;
  };
  const stopCurrent = async () => {
    await current?.stop();
    current = undefined;
  };
  const ref = (path: string) => `docker://127.0.0.1:${port}/${path}`;
  const digestAt = (path: string) => skopeoDigest(ref(path));
  const push = (layout: { dir: string; tag: string }, path: string, ...flags: string[]) =>
    run([
      "skopeo",
      "copy",
      "--dest-tls-verify=false",
      ...flags,
      `oci:${layout.dir}:${layout.tag}`,
      ref(path),
    ]);

  /** Pulls with skopeo into an OCI layout and compares every layer with the pushed bytes. */
  const pullAndCompare = async (path: string, pushed: LayoutImage) => {
    const out = join(work.path, `pulled-${path.replaceAll(/[/:]/g, "-")}`);
    await run(["skopeo", "copy", "--src-tls-verify=false", ref(path), `oci:${out}:pulled`]);
    for (const layer of pushed.layerDigests) {
      const hex = layer.slice("sha256:".length);
      const pulled = await readFile(join(out, "blobs", "sha256", hex));
      expect(pulled.equals(await readFile(join(pushed.dir, "blobs", "sha256", hex)))).toBe(true);
    }
  };
  const status = async (path: string) =>
    (
      await fetch(`http://127.0.0.1:${port}${path}`, {
        method: "HEAD",
        headers: { Accept: manifestTypes },
      })
    ).status;
  const blobData = (digest: string) =>
    join(root, "docker/registry/v2/blobs/sha256", digest.slice(7, 9), digest.slice(7), "data");
  const exists = (path: string) =>
    stat(path).then(
      () => true,
      () => false,
    );

  beforeAll(async () => {
    work = await tempDir();
    binary = await buildBinary();
    port = await freePort();
    root = join(work.path, "data");
    config = join(work.path, "config.yml");
    await writeFile(config, distributionConfig(root, port));
    image = await writeOciLayout(join(work.path, "image"), {
      layers: 2,
      layerSize: 256 * 1024,
      seed: 7,
    });
    other = await writeOciLayout(join(work.path, "other"), {
      layers: 1,
      layerSize: 64 * 1024,
      seed: 8,
    });
    multi = await writeOciIndexLayout(join(work.path, "multi"), { seed: 11 });
  });

  afterAll(async () => {
    await current?.stop().catch(() => undefined);
    await work?.cleanup();
  });

  test("skiff accepts Distribution's config.yml", async () => {
    const checked = await run([binary, "config", "check", config]);
    expect(checked).toContain(root);
    expect(checked).toContain("environment: e2e");
    expect(checked).not.toContain("e2e-shared-secret");
  });

  test(
    "images pushed to Distribution are served by skiff",
    logged(async () => {
      await serve("distribution");
      await push(image, "compat/from-distribution:oci");
      await push(image, "compat/from-distribution:docker", "--format", "v2s2");
      await push(multi, "compat/from-distribution:multi", "--all");
      const dockerDigest = await digestAt("compat/from-distribution:docker");

      await serve("skiff");
      expect(await digestAt("compat/from-distribution:oci")).toBe(image.manifestDigest);
      expect(await digestAt("compat/from-distribution:docker")).toBe(dockerDigest);
      const index = await run([
        "skopeo",
        "inspect",
        "--tls-verify=false",
        "--raw",
        ref("compat/from-distribution:multi"),
      ]);
      expect(sha256(new TextEncoder().encode(index))).toBe(multi.indexDigest);
      await pullAndCompare("compat/from-distribution:oci", image);
      await pullAndCompare("compat/from-distribution:docker", image);

      const catalog = (await (await fetch(`${current?.url}/v2/_catalog`)).json()) as {
        repositories: string[];
      };
      expect(catalog.repositories).toEqual(["compat/from-distribution"]);
      const tags = (await (
        await fetch(`${current?.url}/v2/compat/from-distribution/tags/list`)
      ).json()) as { tags: string[] };
      expect(tags.tags).toEqual(["docker", "multi", "oci"]);
    }),
  );

  test(
    "an upload started on Distribution is finished on skiff",
    logged(async () => {
      const blob = randomBytes(3 * 1024 * 1024, 99);
      const half = blob.byteLength / 2;
      const digest = sha256(blob);
      const server = await serve("distribution");
      const start = await fetch(`${server.url}/v2/compat/upload/blobs/uploads/`, {
        method: "POST",
      });
      expect(start.status).toBe(202);
      const first = await fetch(new URL(start.headers.get("location") ?? "", server.url), {
        method: "PATCH",
        body: blob.subarray(0, half),
        headers: { "Content-Type": "application/octet-stream" },
      });
      expect(first.status).toBe(202);
      // Distribution's Location carries its signed `_state`; a client simply keeps using it.
      const location = new URL(first.headers.get("location") ?? "", server.url);

      await serve("skiff");
      const second = await fetch(location, {
        method: "PATCH",
        body: blob.subarray(half),
        headers: {
          "Content-Type": "application/octet-stream",
          "Content-Range": `${half}-${blob.byteLength - 1}`,
        },
      });
      expect(second.status).toBe(202);
      expect(second.headers.get("range")).toBe(`0-${blob.byteLength - 1}`);
      const next = new URL(second.headers.get("location") ?? "", location);
      next.searchParams.set("digest", digest);
      const put = await fetch(next, { method: "PUT" });
      expect(put.status).toBe(201);
      expect(put.headers.get("docker-content-digest")).toBe(digest);
      const get = await fetch(`${current?.url}/v2/compat/upload/blobs/${digest}`);
      expect(sha256(new Uint8Array(await get.arrayBuffer()))).toBe(digest);
    }),
  );

  test(
    "images pushed to and deleted on skiff are seen the same way by Distribution",
    logged(async () => {
      await serve("skiff");
      await push(image, "compat/from-skiff:oci");
      await push(image, "compat/from-skiff:docker", "--format", "v2s2");
      await push(multi, "compat/from-skiff:multi", "--all");
      await push(other, "compat/from-skiff:gone");
      const dockerDigest = await digestAt("compat/from-skiff:docker");
      await run([
        "skopeo",
        "delete",
        "--tls-verify=false",
        `${ref("compat/from-skiff")}@${other.manifestDigest}`,
      ]);

      await serve("distribution");
      expect(await digestAt("compat/from-skiff:oci")).toBe(image.manifestDigest);
      expect(await digestAt("compat/from-skiff:docker")).toBe(dockerDigest);
      const index = await run([
        "skopeo",
        "inspect",
        "--tls-verify=false",
        "--raw",
        ref("compat/from-skiff:multi"),
      ]);
      expect(sha256(new TextEncoder().encode(index))).toBe(multi.indexDigest);
      for (const platform of multi.images)
        expect(await status(`/v2/compat/from-skiff/manifests/${platform.manifestDigest}`)).toBe(
          200,
        );
      await pullAndCompare("compat/from-skiff:oci", image);
      expect(await status(`/v2/compat/from-skiff/manifests/${other.manifestDigest}`)).toBe(404);
      expect(await status("/v2/compat/from-skiff/manifests/gone")).toBe(404);
    }),
  );

  test(
    "Distribution's garbage-collect on skiff's data keeps every live image and drops the deleted one",
    logged(async () => {
      await stopCurrent();
      // Only the deleted image's own layer is garbage; every other blob is referenced.
      const garbage = other.layerDigests[0] ?? "";
      expect(await exists(blobData(garbage))).toBe(true);
      await run(["docker-registry", "garbage-collect", config]);
      expect(await exists(blobData(garbage))).toBe(false);

      await serve("skiff");
      for (const path of ["compat/from-distribution:oci", "compat/from-skiff:oci"]) {
        expect(await digestAt(path)).toBe(image.manifestDigest);
        await pullAndCompare(path, image);
      }
      const out = join(work.path, "pulled-multi-after-gc");
      await run([
        "skopeo",
        "copy",
        "--all",
        "--src-tls-verify=false",
        ref("compat/from-skiff:multi"),
        `oci:${out}:multi`,
      ]);
    }),
  );

  test(
    "skiff's garbage-collect on the shared data leaves Distribution a working registry",
    logged(async () => {
      await stopCurrent();
      await run([binary, "garbage-collect", config]);
      await serve("distribution");
      for (const path of [
        "compat/from-distribution:oci",
        "compat/from-distribution:docker",
        "compat/from-skiff:oci",
      ]) {
        await pullAndCompare(path, image);
      }
      const out = join(work.path, "pulled-multi-after-skiff-gc");
      await run([
        "skopeo",
        "copy",
        "--all",
        "--src-tls-verify=false",
        ref("compat/from-distribution:multi"),
        `oci:${out}:multi`,
      ]);
    }),
  );
});
