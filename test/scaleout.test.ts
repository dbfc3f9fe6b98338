import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfig } from "../src/config/load.ts";
import { silentLogger } from "../src/log.ts";
import { digestOf } from "../src/registry/digest.ts";
import { mediaTypes } from "../src/registry/mediatypes.ts";
import { waitUntilReady } from "../src/storage/cache/redisclient.ts";
import { buildRegistry, type Registry } from "../src/wire.ts";
import { RedisStub } from "./support/redisstub.ts";
import { bytes, imageManifest, randomBytes } from "./support/registry.ts";
import { type S3Server, s3rverCredentials, startS3rver } from "./support/s3rver.ts";

/** Two instances on one bucket and one Redis, as behind a load balancer. */
describe("several instances sharing S3 and Redis", () => {
  let s3: S3Server;
  let redis: RedisStub;
  let a: Registry;
  let b: Registry;

  beforeAll(async () => {
    s3 = await startS3rver();
    redis = await RedisStub.start();
    const config = loadConfig({
      text: `version: 0.1
storage:
  s3:
    accesskey: ${s3rverCredentials.accesskey}
    secretkey: ${s3rverCredentials.secretkey}
    bucket: ${s3.bucket}
    regionendpoint: ${s3.endpoint}
    forcepathstyle: true
    rootdirectory: /registry
  delete: {enabled: true}
  cache: {blobdescriptor: redis}
redis:
  addr: 127.0.0.1:${redis.port}
`,
    });
    a = buildRegistry(config, silentLogger);
    b = buildRegistry(config, silentLogger);
    for (const instance of [a, b]) await waitUntilReady(instance.cache?.redis as never, 5000);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    redis?.stop();
    await s3?.stop();
  });

  const on = (instance: Registry, method: string, path: string, init?: RequestInit) =>
    instance.app.handle(new Request(`http://registry.test${path}`, { ...init, method }));

  /** GET a blob; storage answers with a presigned redirect, which the client follows. */
  async function pull(instance: Registry, path: string): Promise<Uint8Array> {
    const response = await on(instance, "GET", path);
    if (response.status === 307)
      return new Uint8Array(
        await (await fetch(response.headers.get("location") as string)).arrayBuffer(),
      );
    expect(response.status).toBe(200);
    return new Uint8Array(await response.arrayBuffer());
  }

  test("an upload started on A, continued on B and committed on A; the image pulls from B; a delete on A is seen on B", async () => {
    const layer = randomBytes(3 * 1024 * 1024, 77);
    const layerDigest = digestOf(layer);
    const start = await on(a, "POST", "/v2/team/app/blobs/uploads/");
    expect(start.status).toBe(202);
    const first = new URL(start.headers.get("location") as string).pathname;
    const patchB = await on(b, "PATCH", first, {
      body: layer.slice(0, 1024 * 1024),
      headers: { "Content-Range": `0-${1024 * 1024 - 1}` },
    });
    expect(patchB.status).toBe(202);
    const next = new URL(patchB.headers.get("location") as string).pathname;
    const putA = await on(a, "PUT", `${next}?digest=${layerDigest}`, {
      body: layer.slice(1024 * 1024),
    });
    expect(putA.status).toBe(201);

    const config = bytes(JSON.stringify({ architecture: "amd64", os: "linux" }));
    expect(
      (
        await on(b, "POST", `/v2/team/app/blobs/uploads/?digest=${digestOf(config)}`, {
          body: config,
        })
      ).status,
    ).toBe(201);
    const manifest = imageManifest({ digest: digestOf(config), size: config.byteLength }, [
      { digest: layerDigest, size: layer.byteLength },
    ]);
    expect(
      (
        await on(a, "PUT", "/v2/team/app/manifests/v1", {
          body: manifest,
          headers: { "Content-Type": mediaTypes.ociManifest },
        })
      ).status,
    ).toBe(201);

    const pulledManifest = await on(b, "GET", "/v2/team/app/manifests/v1");
    expect(pulledManifest.headers.get("docker-content-digest")).toBe(digestOf(manifest));
    expect(digestOf(await pull(b, `/v2/team/app/blobs/${layerDigest}`))).toBe(layerDigest);

    expect((await on(a, "DELETE", `/v2/team/app/manifests/${digestOf(manifest)}`)).status).toBe(
      202,
    );
    expect((await on(b, "GET", "/v2/team/app/manifests/v1")).status).toBe(404);
    expect((await on(b, "HEAD", `/v2/team/app/blobs/${layerDigest}`)).status).toBe(200);
    expect((await on(a, "DELETE", `/v2/team/app/blobs/${layerDigest}`)).status).toBe(202);
    expect((await on(b, "HEAD", `/v2/team/app/blobs/${layerDigest}`)).status).toBe(404);
  });

  test("the mirror refuses S3 storage at start with a clear error", () => {
    const text = `version: 0.1\nstorage:\n  s3: {bucket: b, regionendpoint: ${s3.endpoint}}\nproxy: {remoteurl: "http://127.0.0.1:1"}\n`;
    expect(() => buildRegistry(loadConfig({ text }), silentLogger)).toThrow(
      /does not support storage.s3/,
    );
  });
});

describe("s3 configuration", () => {
  test("encrypt is refused at start rather than silently ignored", () => {
    const text =
      "version: 0.1\nstorage:\n  s3: {bucket: b, regionendpoint: http://127.0.0.1:1, encrypt: true}\n";
    expect(() => buildRegistry(loadConfig({ text }), silentLogger)).toThrow(
      /server-side encryption is not supported/,
    );
  });
});
