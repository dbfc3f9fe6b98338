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
} from "../support/process.ts";
import { RedisStub } from "../support/redisstub.ts";
import { type S3Server, s3rverCredentials, startS3rver } from "../support/s3rver.ts";

const enabled = requireTools("skopeo", "node");

/** skopeo pushes to instance A and pulls from instance B: one bucket, one Redis. */
describe.skipIf(!enabled)("two compiled instances on S3 and Redis", () => {
  let work: Awaited<ReturnType<typeof tempDir>>;
  let s3: S3Server;
  let redis: RedisStub;
  const instances: ServerProcess[] = [];
  let image: LayoutImage;

  beforeAll(async () => {
    work = await tempDir();
    s3 = await startS3rver();
    redis = await RedisStub.start();
    const binary = await buildBinary();
    for (const name of ["a", "b"]) {
      const port = await freePort();
      const config = join(work.path, `${name}.yml`);
      await Bun.write(
        config,
        `version: 0.1\nlog: {level: warn}\nstorage:\n  s3:\n    accesskey: ${s3rverCredentials.accesskey}\n    secretkey: ${s3rverCredentials.secretkey}\n    bucket: ${s3.bucket}\n    regionendpoint: ${s3.endpoint}\n    forcepathstyle: true\n    rootdirectory: /registry\n  delete: {enabled: true}\n  cache: {blobdescriptor: redis}\nredis:\n  addr: 127.0.0.1:${redis.port}\nhttp:\n  addr: 127.0.0.1:${port}\n`,
      );
      instances.push(await startServer([binary, "serve", config], port));
    }
    image = await writeOciLayout(join(work.path, "image"), {
      layers: 2,
      layerSize: 256 * 1024,
      seed: 9,
    });
  });

  afterAll(async () => {
    for (const instance of instances) await instance.stop();
    redis?.stop();
    await s3?.stop();
    await work?.cleanup();
  });

  test("push to A, pull from B byte-identical, delete on A seen on B", async () => {
    const [a, b] = instances as [ServerProcess, ServerProcess];
    await run([
      "skopeo",
      "copy",
      "--dest-tls-verify=false",
      `oci:${image.dir}:${image.tag}`,
      `docker://${a.host}/scale/app:v1`,
    ]);
    expect(await skopeoDigest(`docker://${b.host}/scale/app:v1`)).toBe(image.manifestDigest);
    const out = join(work.path, "pulled");
    await run([
      "skopeo",
      "copy",
      "--src-tls-verify=false",
      `docker://${b.host}/scale/app:v1`,
      `oci:${out}:v1`,
    ]);
    for (const layer of image.layerDigests) {
      const pulled = await Bun.file(join(out, "blobs", "sha256", layer.slice(7))).bytes();
      expect(`sha256:${new Bun.CryptoHasher("sha256").update(pulled).digest("hex")}`).toBe(layer);
    }
    await run([
      "skopeo",
      "delete",
      "--tls-verify=false",
      `docker://${a.host}/scale/app@${image.manifestDigest}`,
    ]);
    expect((await fetch(`${b.url}/v2/scale/app/manifests/${image.manifestDigest}`)).status).toBe(
      404,
    );
  });
});
