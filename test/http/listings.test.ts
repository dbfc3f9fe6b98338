import { describe, expect, test } from "bun:test";
import { digestOf } from "../../src/registry/digest.ts";
import { mediaTypes } from "../../src/registry/mediatypes.ts";
import { bytes, errorCode, pushBlob, pushImage, testRegistry } from "../support/registry.ts";

describe("tags list", () => {
  test("lists tags in order, paginated with n/last and a Link header", async () => {
    const registry = testRegistry();
    for (const tag of ["c", "a", "b", "d"]) await pushImage(registry, "lib/tags", tag);
    const all = await registry.request("GET", "/v2/lib/tags/tags/list");
    expect(await all.json()).toEqual({ name: "lib/tags", tags: ["a", "b", "c", "d"] });
    expect(all.headers.get("link")).toBeNull();

    const first = await registry.request("GET", "/v2/lib/tags/tags/list?n=2");
    expect(((await first.json()) as { tags: string[] }).tags).toEqual(["a", "b"]);
    expect(first.headers.get("link")).toBe('</v2/lib/tags/tags/list?last=b&n=2>; rel="next"');
    const second = await registry.request("GET", "/v2/lib/tags/tags/list?n=2&last=b");
    expect(((await second.json()) as { tags: string[] }).tags).toEqual(["c", "d"]);
    expect(second.headers.get("link")).toBeNull();
  });

  test("an unknown repository is NAME_UNKNOWN", async () => {
    const registry = testRegistry();
    const response = await registry.request("GET", "/v2/nothing/tags/list");
    expect(response.status).toBe(404);
    expect(await errorCode(response)).toBe("NAME_UNKNOWN");
  });

  test("a repository with blobs but no tags lists none", async () => {
    const registry = testRegistry();
    await pushBlob(registry, "untagged", bytes("x"));
    expect(await (await registry.request("GET", "/v2/untagged/tags/list")).json()).toEqual({
      name: "untagged",
      tags: [],
    });
  });

  test("a bad n is PAGINATION_NUMBER_INVALID", async () => {
    const registry = testRegistry();
    await pushImage(registry, "p", "v1");
    for (const n of ["-1", "abc", "1e3"]) {
      const response = await registry.request("GET", `/v2/p/tags/list?n=${n}`);
      expect(response.status).toBe(400);
      expect(await errorCode(response)).toBe("PAGINATION_NUMBER_INVALID");
    }
  });
});

describe("catalog", () => {
  test("lists repositories in order with pagination", async () => {
    const registry = testRegistry();
    for (const name of ["zeta", "alpha/one", "alpha/two", "beta"])
      await pushImage(registry, name, "v1");
    await pushBlob(registry, "blobs-only", bytes("no manifests"));
    const all = await registry.request("GET", "/v2/_catalog");
    expect(await all.json()).toEqual({ repositories: ["alpha/one", "alpha/two", "beta", "zeta"] });
    const page = await registry.request("GET", "/v2/_catalog?n=2");
    expect(await page.json()).toEqual({ repositories: ["alpha/one", "alpha/two"] });
    expect(page.headers.get("link")).toBe('</v2/_catalog?last=alpha%2Ftwo&n=2>; rel="next"');
    const rest = await registry.request("GET", "/v2/_catalog?n=2&last=alpha%2Ftwo");
    expect(await rest.json()).toEqual({ repositories: ["beta", "zeta"] });
  });

  test("an empty registry has an empty catalog", async () => {
    expect(await (await testRegistry().request("GET", "/v2/_catalog")).json()).toEqual({
      repositories: [],
    });
  });
});

describe("referrers", () => {
  async function pushArtifact(
    registry: ReturnType<typeof testRegistry>,
    name: string,
    subject: { digest: string; size: number },
    artifactType: string,
  ) {
    const empty = await pushBlob(registry, name, bytes("{}"));
    const artifact = bytes(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: mediaTypes.ociManifest,
        artifactType,
        config: { mediaType: mediaTypes.ociEmpty, digest: empty, size: 2 },
        layers: [],
        subject: { mediaType: mediaTypes.ociManifest, ...subject },
        annotations: { kind: artifactType },
      }),
    );
    const response = await registry.request("PUT", `/v2/${name}/manifests/${digestOf(artifact)}`, {
      body: artifact,
      headers: { "Content-Type": mediaTypes.ociManifest },
    });
    expect(response.status).toBe(201);
    return { digest: digestOf(artifact), size: artifact.byteLength };
  }

  test("lists referrers as an OCI index, filtered by artifactType", async () => {
    const registry = testRegistry();
    const image = await pushImage(registry, "ref", "v1");
    const subject = { digest: image.digest, size: image.manifest.byteLength };
    const sbom = await pushArtifact(registry, "ref", subject, "application/vnd.example.sbom");
    const sig = await pushArtifact(registry, "ref", subject, "application/vnd.example.signature");

    const all = await registry.request("GET", `/v2/ref/referrers/${image.digest}`);
    expect(all.status).toBe(200);
    expect(all.headers.get("content-type")).toBe(mediaTypes.ociIndex);
    const index = (await all.json()) as {
      schemaVersion: number;
      mediaType: string;
      manifests: {
        digest: string;
        artifactType: string;
        size: number;
        annotations: Record<string, string>;
      }[];
    };
    expect(index.schemaVersion).toBe(2);
    expect(index.mediaType).toBe(mediaTypes.ociIndex);
    expect(index.manifests.map((m) => m.digest).sort()).toEqual([sbom.digest, sig.digest].sort());
    const sbomEntry = index.manifests.find((m) => m.digest === sbom.digest);
    expect(sbomEntry?.artifactType).toBe("application/vnd.example.sbom");
    expect(sbomEntry?.size).toBe(sbom.size);
    expect(sbomEntry?.annotations).toEqual({ kind: "application/vnd.example.sbom" });

    const filtered = await registry.request(
      "GET",
      `/v2/ref/referrers/${image.digest}?artifactType=application/vnd.example.signature`,
    );
    expect(filtered.headers.get("oci-filters-applied")).toBe("artifactType");
    const filteredIndex = (await filtered.json()) as { manifests: { digest: string }[] };
    expect(filteredIndex.manifests.map((m) => m.digest)).toEqual([sig.digest]);
  });

  test("a subject without referrers gives an empty index; deleting a referrer removes it", async () => {
    const registry = testRegistry();
    const image = await pushImage(registry, "ref2", "v1");
    const none = await registry.request("GET", `/v2/ref2/referrers/${digestOf("nothing")}`);
    expect(((await none.json()) as { manifests: unknown[] }).manifests).toEqual([]);
    const sig = await pushArtifact(
      registry,
      "ref2",
      { digest: image.digest, size: image.manifest.byteLength },
      "application/vnd.example.signature",
    );
    expect((await registry.request("DELETE", `/v2/ref2/manifests/${sig.digest}`)).status).toBe(202);
    const after = await registry.request("GET", `/v2/ref2/referrers/${image.digest}`);
    expect(((await after.json()) as { manifests: unknown[] }).manifests).toEqual([]);
  });

  test("a malformed subject digest is DIGEST_INVALID", async () => {
    const response = await testRegistry().request("GET", "/v2/x/referrers/sha256:nope");
    expect(await errorCode(response)).toBe("DIGEST_INVALID");
  });
});
