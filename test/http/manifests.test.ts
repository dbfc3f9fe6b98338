import { describe, expect, test } from "bun:test";
import { digestOf } from "../../src/registry/digest.ts";
import { mediaTypes } from "../../src/registry/mediatypes.ts";
import {
  bytes,
  errorCode,
  imageManifest,
  pushBlob,
  pushImage,
  testRegistry,
} from "../support/registry.ts";

describe("manifests", () => {
  test("PUT by tag, then GET and HEAD by tag and by digest", async () => {
    const registry = testRegistry();
    const image = await pushImage(registry, "lib/app", "v1");
    for (const reference of ["v1", image.digest]) {
      const get = await registry.request("GET", `/v2/lib/app/manifests/${reference}`, {
        headers: { Accept: mediaTypes.ociManifest },
      });
      expect(get.status).toBe(200);
      expect(get.headers.get("content-type")).toBe(mediaTypes.ociManifest);
      expect(get.headers.get("docker-content-digest")).toBe(image.digest);
      expect(new Uint8Array(await get.arrayBuffer())).toEqual(image.manifest);
      const head = await registry.request("HEAD", `/v2/lib/app/manifests/${reference}`);
      expect(head.status).toBe(200);
      expect(head.headers.get("content-length")).toBe(String(image.manifest.byteLength));
      expect(head.headers.get("docker-content-digest")).toBe(image.digest);
    }
  });

  test("PUT answers 201 with Location and Docker-Content-Digest", async () => {
    const registry = testRegistry();
    const config = await pushBlob(registry, "p", bytes("{}"));
    const manifest = imageManifest({ digest: config, size: 2 }, []);
    const response = await registry.request("PUT", "/v2/p/manifests/latest", {
      body: manifest,
      headers: { "Content-Type": mediaTypes.ociManifest },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("docker-content-digest")).toBe(digestOf(manifest));
    expect(new URL(response.headers.get("location") as string).pathname).toBe(
      `/v2/p/manifests/${digestOf(manifest)}`,
    );
  });

  test("Docker schema2 manifests and manifest lists", async () => {
    const registry = testRegistry();
    const amd = await pushImage(registry, "multi", "amd64", 1, 1, mediaTypes.dockerManifest);
    const arm = await pushImage(registry, "multi", "arm64", 2, 1, mediaTypes.dockerManifest);
    const list = bytes(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: mediaTypes.dockerManifestList,
        manifests: [amd, arm].map((image, i) => ({
          mediaType: mediaTypes.dockerManifest,
          digest: image.digest,
          size: image.manifest.byteLength,
          platform: { architecture: i === 0 ? "amd64" : "arm64", os: "linux" },
        })),
      }),
    );
    const put = await registry.request("PUT", "/v2/multi/manifests/latest", {
      body: list,
      headers: { "Content-Type": mediaTypes.dockerManifestList },
    });
    expect(put.status).toBe(201);
    const get = await registry.request("GET", "/v2/multi/manifests/latest", {
      headers: { Accept: mediaTypes.dockerManifestList },
    });
    expect(get.headers.get("content-type")).toBe(mediaTypes.dockerManifestList);
    const child = await registry.request("GET", `/v2/multi/manifests/${amd.digest}`);
    expect(child.headers.get("content-type")).toBe(mediaTypes.dockerManifest);
  });

  test("an OCI index whose children are missing is MANIFEST_BLOB_UNKNOWN", async () => {
    const registry = testRegistry();
    const index = bytes(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: mediaTypes.ociIndex,
        manifests: [{ mediaType: mediaTypes.ociManifest, digest: digestOf("missing"), size: 10 }],
      }),
    );
    const response = await registry.request("PUT", "/v2/i/manifests/latest", {
      body: index,
      headers: { "Content-Type": mediaTypes.ociIndex },
    });
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe("MANIFEST_BLOB_UNKNOWN");
  });

  test("a manifest whose layers are not in the repository is MANIFEST_BLOB_UNKNOWN", async () => {
    const registry = testRegistry();
    const config = await pushBlob(registry, "elsewhere", bytes("{}"));
    const manifest = imageManifest({ digest: config, size: 2 }, []);
    const response = await registry.request("PUT", "/v2/here/manifests/v1", {
      body: manifest,
      headers: { "Content-Type": mediaTypes.ociManifest },
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as {
      errors: { code: string; detail: { digest: string } }[];
    };
    expect(body.errors[0]?.code).toBe("MANIFEST_BLOB_UNKNOWN");
    expect(body.errors[0]?.detail.digest).toBe(config);
    expect((await registry.request("GET", "/v2/here/manifests/v1")).status).toBe(404);
  });

  test("invalid manifests are MANIFEST_INVALID and store nothing", async () => {
    const registry = testRegistry();
    const config = await pushBlob(registry, "bad", bytes("{}"));
    const cases: [string, string][] = [
      ["not json", mediaTypes.ociManifest],
      ["[]", mediaTypes.ociManifest],
      [JSON.stringify({ schemaVersion: 1, name: "x" }), mediaTypes.ociManifest],
      [
        JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, layers: [] }),
        mediaTypes.ociManifest,
      ],
      [
        JSON.stringify({
          schemaVersion: 2,
          mediaType: mediaTypes.ociManifest,
          config: { digest: "sha256:xyz", size: 1, mediaType: "a" },
          layers: [],
        }),
        mediaTypes.ociManifest,
      ],
      [
        JSON.stringify({
          schemaVersion: 2,
          mediaType: mediaTypes.ociManifest,
          config: { digest: config, size: -1, mediaType: "a" },
          layers: [],
        }),
        mediaTypes.ociManifest,
      ],
      [
        new TextDecoder().decode(imageManifest({ digest: config, size: 2 }, [])),
        mediaTypes.dockerManifest,
      ],
    ];
    for (const [body, contentType] of cases) {
      const response = await registry.request("PUT", "/v2/bad/manifests/v1", {
        body,
        headers: { "Content-Type": contentType },
      });
      expect(response.status).toBe(400);
      expect(await errorCode(response)).toBe("MANIFEST_INVALID");
    }
    expect((await registry.request("GET", "/v2/bad/manifests/v1")).status).toBe(404);
  });

  test("a manifest over 4 MiB is 413 MANIFEST_INVALID", async () => {
    const registry = testRegistry();
    const huge = new Uint8Array(4 * 1024 * 1024 + 1).fill(32);
    const response = await registry.request("PUT", "/v2/big/manifests/v1", {
      body: huge,
      headers: { "Content-Type": mediaTypes.ociManifest },
    });
    expect(response.status).toBe(413);
    expect(await errorCode(response)).toBe("MANIFEST_INVALID");
  });

  test("PUT by digest must match the content", async () => {
    const registry = testRegistry();
    const config = await pushBlob(registry, "dg", bytes("{}"));
    const manifest = imageManifest({ digest: config, size: 2 }, []);
    const ok = await registry.request("PUT", `/v2/dg/manifests/${digestOf(manifest)}`, {
      body: manifest,
      headers: { "Content-Type": mediaTypes.ociManifest },
    });
    expect(ok.status).toBe(201);
    const mismatch = await registry.request("PUT", `/v2/dg/manifests/${digestOf("other")}`, {
      body: manifest,
      headers: { "Content-Type": mediaTypes.ociManifest },
    });
    expect(mismatch.status).toBe(400);
    expect(await errorCode(mismatch)).toBe("DIGEST_INVALID");
  });

  test("invalid tags are TAG_INVALID, unknown tags MANIFEST_UNKNOWN", async () => {
    const registry = testRegistry();
    for (const tag of [".hidden", "-dash", "a".repeat(129), "t%20t"]) {
      const response = await registry.request("GET", `/v2/t/manifests/${tag}`);
      expect(response.status).toBe(400);
      expect(await errorCode(response)).toBe("TAG_INVALID");
    }
    const unknown = await registry.request("GET", "/v2/t/manifests/nope");
    expect(unknown.status).toBe(404);
    expect(await errorCode(unknown)).toBe("MANIFEST_UNKNOWN");
  });

  test("an OCI manifest is not served to a client that accepts only Docker types", async () => {
    const registry = testRegistry();
    await pushImage(registry, "neg", "v1");
    const response = await registry.request("GET", "/v2/neg/manifests/v1", {
      headers: { Accept: mediaTypes.dockerManifest },
    });
    expect(response.status).toBe(404);
    expect(await errorCode(response)).toBe("MANIFEST_UNKNOWN");
    const any = await registry.request("GET", "/v2/neg/manifests/v1", {
      headers: { Accept: "*/*" },
    });
    expect(any.status).toBe(200);
  });

  test("retagging moves the tag; the old revision stays reachable by digest", async () => {
    const registry = testRegistry();
    const first = await pushImage(registry, "re", "latest", 1);
    const second = await pushImage(registry, "re", "latest", 2);
    const get = await registry.request("GET", "/v2/re/manifests/latest");
    expect(get.headers.get("docker-content-digest")).toBe(second.digest);
    expect((await registry.request("GET", `/v2/re/manifests/${first.digest}`)).status).toBe(200);
  });

  test("DELETE by digest removes the revision and the tags pointing at it", async () => {
    const registry = testRegistry();
    const image = await pushImage(registry, "del", "v1");
    const response = await registry.request("DELETE", `/v2/del/manifests/${image.digest}`);
    expect(response.status).toBe(202);
    expect((await registry.request("GET", `/v2/del/manifests/${image.digest}`)).status).toBe(404);
    expect((await registry.request("GET", "/v2/del/manifests/v1")).status).toBe(404);
    expect((await registry.request("DELETE", `/v2/del/manifests/${image.digest}`)).status).toBe(
      404,
    );
  });

  test("DELETE by tag removes only the tag", async () => {
    const registry = testRegistry();
    const image = await pushImage(registry, "untag", "v1");
    expect((await registry.request("DELETE", "/v2/untag/manifests/v1")).status).toBe(202);
    expect((await registry.request("GET", "/v2/untag/manifests/v1")).status).toBe(404);
    expect((await registry.request("GET", `/v2/untag/manifests/${image.digest}`)).status).toBe(200);
  });

  test("DELETE is 405 UNSUPPORTED when deletion is disabled", async () => {
    const registry = testRegistry({ deleteEnabled: false });
    const image = await pushImage(registry, "keep", "v1");
    const response = await registry.request("DELETE", `/v2/keep/manifests/${image.digest}`);
    expect(response.status).toBe(405);
    expect(await errorCode(response)).toBe("UNSUPPORTED");
    expect((await registry.request("DELETE", "/v2/keep/manifests/v1")).status).toBe(405);
  });

  test("an artifact with a subject answers OCI-Subject and is listed as a referrer", async () => {
    const registry = testRegistry();
    const image = await pushImage(registry, "art", "v1");
    const empty = await pushBlob(registry, "art", bytes("{}"));
    const artifact = bytes(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: mediaTypes.ociManifest,
        artifactType: "application/vnd.example.sbom",
        config: { mediaType: mediaTypes.ociEmpty, digest: empty, size: 2 },
        layers: [],
        subject: {
          mediaType: mediaTypes.ociManifest,
          digest: image.digest,
          size: image.manifest.byteLength,
        },
        annotations: { "org.example.kind": "sbom" },
      }),
    );
    const put = await registry.request("PUT", `/v2/art/manifests/${digestOf(artifact)}`, {
      body: artifact,
      headers: { "Content-Type": mediaTypes.ociManifest },
    });
    expect(put.status).toBe(201);
    expect(put.headers.get("oci-subject")).toBe(image.digest);
  });
});
