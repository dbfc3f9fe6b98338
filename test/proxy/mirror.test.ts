import { afterEach, describe, expect, test } from "bun:test";
import { digestOf } from "../../src/registry/digest.ts";
import { mediaTypes } from "../../src/registry/mediatypes.ts";
import { blobDataPath } from "../../src/storage/paths.ts";
import {
  bytes,
  errorCode,
  pushBlob,
  pushImage,
  randomBytes,
  tempFilesystemDriver,
} from "../support/registry.ts";
import { TestUpstream } from "../support/upstream.ts";
import { seeder, sha256Of, startMirror, type TestMirror } from "./support.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function upstream(
  options?: ConstructorParameters<typeof TestUpstream>[0],
): Promise<TestUpstream> {
  const server = await new TestUpstream(options).start();
  cleanups.push(() => server.stop());
  return server;
}

async function mirrorOf(...args: Parameters<typeof startMirror>): Promise<TestMirror> {
  const mirror = await startMirror(...args);
  cleanups.push(() => mirror.registry.close());
  return mirror;
}

describe("pull through", () => {
  test("an OCI image: manifest by tag, then config and layers, byte-identical, through Bearer auth", async () => {
    const up = await upstream();
    const image = await pushImage(seeder(up), "org/app", "v1");
    const mirror = await mirrorOf([{ prefix: "", url: up.url }]);
    const manifest = await mirror.request("GET", "/v2/org/app/manifests/v1", {
      headers: { Accept: mediaTypes.ociManifest },
    });
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get("docker-content-digest")).toBe(image.digest);
    expect(new Uint8Array(await manifest.arrayBuffer())).toEqual(image.manifest);
    for (const digest of [image.config, ...image.layers]) {
      const blob = await mirror.request("GET", `/v2/org/app/blobs/${digest}`);
      expect(blob.status).toBe(200);
      expect(await sha256Of(blob.body)).toBe(digest);
    }
    expect(up.issuedTokens.size).toBeGreaterThan(0);
    // Served locally now: no new upstream blob fetch.
    const before = up.count("GET", image.layers[0] as string);
    expect(
      await sha256Of((await mirror.request("GET", `/v2/org/app/blobs/${image.layers[0]}`)).body),
    ).toBe(image.layers[0] as string);
    expect(up.count("GET", image.layers[0] as string)).toBe(before);
  });

  test("a tag never pulled costs one upstream GET; a known tag is checked with a HEAD", async () => {
    const up = await upstream();
    const image = await pushImage(seeder(up), "org/app", "v1");
    const mirror = await mirrorOf([{ prefix: "", url: up.url }]);
    const get = () =>
      mirror.request("GET", "/v2/org/app/manifests/v1", {
        headers: { Accept: mediaTypes.ociManifest },
      });
    const first = await get();
    expect(first.headers.get("docker-content-digest")).toBe(image.digest);
    expect([up.count("HEAD", "/manifests/v1"), up.count("GET", "/manifests/v1")]).toEqual([0, 1]);
    const again = await get();
    expect(new Uint8Array(await again.arrayBuffer())).toEqual(image.manifest);
    expect([up.count("HEAD", "/manifests/v1"), up.count("GET", "/manifests/v1")]).toEqual([1, 1]);
  });

  test("a Docker schema2 image and a manifest list", async () => {
    const up = await upstream();
    const amd = await pushImage(seeder(up), "multi", "amd64", 1, 1, mediaTypes.dockerManifest);
    const arm = await pushImage(seeder(up), "multi", "arm64", 2, 1, mediaTypes.dockerManifest);
    const list = bytes(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: mediaTypes.dockerManifestList,
        manifests: [amd, arm].map((image) => ({
          mediaType: mediaTypes.dockerManifest,
          digest: image.digest,
          size: image.manifest.byteLength,
          platform: { architecture: "amd64", os: "linux" },
        })),
      }),
    );
    expect(
      (
        await up.seed("PUT", "/v2/multi/manifests/latest", list, {
          "Content-Type": mediaTypes.dockerManifestList,
        })
      ).status,
    ).toBe(201);
    const mirror = await mirrorOf([{ prefix: "", url: up.url }]);
    const index = await mirror.request("GET", "/v2/multi/manifests/latest");
    expect(index.headers.get("content-type")).toBe(mediaTypes.dockerManifestList);
    expect(index.headers.get("docker-content-digest")).toBe(digestOf(list));
    const child = await mirror.request("GET", `/v2/multi/manifests/${arm.digest}`);
    expect(child.status).toBe(200);
    expect(child.headers.get("content-type")).toBe(mediaTypes.dockerManifest);
    const head = await mirror.request("HEAD", `/v2/multi/blobs/${arm.layers[0]}`);
    expect(head.status).toBe(200);
  });

  test("unknown content is 404 from upstream, in the error envelope", async () => {
    const up = await upstream();
    const mirror = await mirrorOf([{ prefix: "", url: up.url }]);
    expect(await errorCode(await mirror.request("GET", "/v2/none/manifests/v1"))).toBe(
      "MANIFEST_UNKNOWN",
    );
    expect(
      await errorCode(await mirror.request("GET", `/v2/none/blobs/${digestOf("nothing")}`)),
    ).toBe("BLOB_UNKNOWN");
  });

  test("credentials configured for the upstream are used for tokens", async () => {
    const up = await upstream({ credentials: { username: "ci", password: "s3cret" } });
    const image = await pushImage(seeder(up), "private/app", "v1");
    const wrong = await mirrorOf([{ prefix: "", url: up.url, username: "ci", password: "nope" }]);
    expect((await wrong.request("GET", "/v2/private/app/manifests/v1")).status).toBe(502);
    const right = await mirrorOf([{ prefix: "", url: up.url, username: "ci", password: "s3cret" }]);
    const response = await right.request("GET", "/v2/private/app/manifests/v1");
    expect(response.headers.get("docker-content-digest")).toBe(image.digest);
  });
});

describe("single flight", () => {
  test("20 concurrent clients of one uncached 64 MiB blob: one upstream GET, 20 correct bodies", async () => {
    const up = await upstream();
    const content = randomBytes(64 * 1024 * 1024, 99);
    const digest = await pushBlob(seeder(up), "big/blob", content);
    const fs = await tempFilesystemDriver();
    cleanups.push(fs.cleanup);
    const mirror = await mirrorOf([{ prefix: "", url: up.url }], { driver: fs.driver });
    const bodies = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const response = await mirror.request("GET", `/v2/big/blob/blobs/${digest}`);
        expect(response.status).toBe(200);
        expect(response.headers.get("content-length")).toBe(String(content.byteLength));
        return sha256Of(response.body);
      }),
    );
    expect(bodies).toEqual(Array(20).fill(digest));
    expect(up.count("GET", `/blobs/${digest}`)).toBe(1);
    await mirror.registry.mirror?.fetcher.settled();
    expect(await fs.driver.stat(blobDataPath(digest))).toMatchObject({ size: content.byteLength });
  });

  test("a corrupt upstream blob: clients get an error or a short body, nothing is stored", async () => {
    const up = await upstream();
    const content = randomBytes(3 * 1024 * 1024, 5);
    const digest = await pushBlob(seeder(up), "bad/blob", content);
    up.corrupt.add(digest);
    const fs = await tempFilesystemDriver();
    cleanups.push(fs.cleanup);
    const mirror = await mirrorOf([{ prefix: "", url: up.url }], { driver: fs.driver });
    const outcomes = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const response = await mirror.request("GET", `/v2/bad/blob/blobs/${digest}`);
        if (response.status !== 200) return "error status";
        const received = await new Response(response.body).arrayBuffer().then(
          (buffer) => buffer.byteLength,
          () => -1,
        );
        return received === content.byteLength ? "complete" : "truncated";
      }),
    );
    expect(outcomes).not.toContain("complete");
    await expect(fs.driver.stat(blobDataPath(digest))).rejects.toThrow();
    expect(
      (
        await mirror.registry.hosted
          .repository("bad/blob")
          .blobs.stat(digest)
          .catch((err) => err)
      ).code,
    ).toBe("BLOB_UNKNOWN");
  });
});

describe("upstream failures", () => {
  test("upstream stopped: cached tag and digest still served, uncached is a clear error", async () => {
    const up = await upstream();
    const image = await pushImage(seeder(up), "org/app", "v1");
    await pushImage(seeder(up), "org/other", "v1", 3);
    const mirror = await mirrorOf([{ prefix: "", url: up.url }]);
    expect((await mirror.request("GET", "/v2/org/app/manifests/v1")).status).toBe(200);
    expect((await mirror.request("GET", `/v2/org/app/blobs/${image.layers[0]}`)).status).toBe(200);
    await up.stop();

    const byTag = await mirror.request("GET", "/v2/org/app/manifests/v1");
    expect(byTag.status).toBe(200);
    expect(byTag.headers.get("docker-content-digest")).toBe(image.digest);
    expect((await mirror.request("GET", `/v2/org/app/manifests/${image.digest}`)).status).toBe(200);
    expect(
      await sha256Of((await mirror.request("GET", `/v2/org/app/blobs/${image.layers[0]}`)).body),
    ).toBe(image.layers[0] as string);

    const uncached = await mirror.request("GET", "/v2/org/other/manifests/v1");
    expect(uncached.status).toBe(502);
    expect(await errorCode(uncached)).toBe("UNAVAILABLE");
    expect(
      (await mirror.request("GET", `/v2/org/app/blobs/${digestOf("never fetched")}`)).status,
    ).toBe(502);
  });

  test("the mirror starts while its upstream is unreachable", async () => {
    const up = await upstream();
    const url = up.url;
    await up.stop();
    const mirror = await mirrorOf([{ prefix: "", url }]);
    expect((await mirror.request("GET", "/v2/")).status).toBe(200);
    expect((await mirror.request("GET", "/v2/org/app/manifests/v1")).status).toBe(502);
  });
});

describe("several upstreams and hosted namespaces", () => {
  test("routing by prefix and by containerd's ?ns=, Docker Hub's library/ convention", async () => {
    const hub = await upstream();
    const ghcr = await upstream();
    const alpine = await pushImage(seeder(hub), "library/alpine", "3", 1);
    const app = await pushImage(seeder(ghcr), "org/app", "v1", 2);
    const mirror = await mirrorOf([
      { prefix: "docker.io", url: hub.url },
      { prefix: "ghcr.io", url: ghcr.url },
    ]);
    for (const path of [
      "/v2/docker.io/alpine/manifests/3",
      "/v2/docker.io/library/alpine/manifests/3",
      "/v2/alpine/manifests/3?ns=docker.io",
      "/v2/library/alpine/manifests/3?ns=docker.io",
    ]) {
      const response = await mirror.request("GET", path);
      expect(response.headers.get("docker-content-digest")).toBe(alpine.digest);
    }
    expect(
      (await mirror.request("GET", "/v2/ghcr.io/org/app/manifests/v1")).headers.get(
        "docker-content-digest",
      ),
    ).toBe(app.digest);
    expect(
      (await mirror.request("GET", "/v2/org/app/manifests/v1?ns=ghcr.io")).headers.get(
        "docker-content-digest",
      ),
    ).toBe(app.digest);
    expect(hub.count("GET", "/v2/library/alpine/manifests/3")).toBe(1);
  });

  test("pushes go to hosted namespaces; mirrored ones answer 405 UNSUPPORTED", async () => {
    const hub = await upstream();
    const mirror = await mirrorOf([{ prefix: "docker.io", url: hub.url }]);
    const hosted = await pushImage(mirror, "team/service", "v1");
    expect(
      (await mirror.request("GET", "/v2/team/service/manifests/v1")).headers.get(
        "docker-content-digest",
      ),
    ).toBe(hosted.digest);
    const push = await mirror.request("POST", "/v2/docker.io/library/alpine/blobs/uploads/");
    expect(push.status).toBe(405);
    expect(await errorCode(push)).toBe("UNSUPPORTED");
    const manifest = await mirror.request("PUT", "/v2/docker.io/library/alpine/manifests/v1", {
      body: hosted.manifest,
      headers: { "Content-Type": mediaTypes.ociManifest },
    });
    expect(manifest.status).toBe(405);
    expect(hub.requests).toEqual([]);
  });

  test("tags list comes from the upstream, and from the local copy when it is down", async () => {
    const up = await upstream();
    await pushImage(seeder(up), "org/tags", "a");
    await pushImage(seeder(up), "org/tags", "b");
    const mirror = await mirrorOf([{ prefix: "", url: up.url }]);
    expect(await (await mirror.request("GET", "/v2/org/tags/tags/list")).json()).toMatchObject({
      tags: ["a", "b"],
    });
    await mirror.request("GET", "/v2/org/tags/manifests/a");
    await up.stop();
    expect(await (await mirror.request("GET", "/v2/org/tags/tags/list")).json()).toMatchObject({
      tags: ["a"],
    });
  });
});
