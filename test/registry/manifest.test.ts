import { describe, expect, test } from "bun:test";
import { digestOf } from "../../src/registry/digest.ts";
import { parseManifest } from "../../src/registry/manifest.ts";
import { mediaTypes } from "../../src/registry/mediatypes.ts";

const enc = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const ref = (text: string, mediaType = "application/octet-stream") => ({
  mediaType,
  digest: digestOf(text),
  size: text.length,
});

describe("parseManifest", () => {
  test("an OCI image manifest lists its config and layers as blobs", () => {
    const parsed = parseManifest(
      enc({
        schemaVersion: 2,
        mediaType: mediaTypes.ociManifest,
        config: ref("c"),
        layers: [ref("l1"), ref("l2")],
      }),
    );
    expect(parsed.mediaType).toBe(mediaTypes.ociManifest);
    expect(parsed.blobs.map((b) => b.digest)).toEqual([
      digestOf("c"),
      digestOf("l1"),
      digestOf("l2"),
    ]);
    expect(parsed.manifests).toEqual([]);
  });

  test("the media type comes from the Content-Type when the content has none", () => {
    const parsed = parseManifest(
      enc({ schemaVersion: 2, config: ref("c"), layers: [] }),
      mediaTypes.dockerManifest,
    );
    expect(parsed.mediaType).toBe(mediaTypes.dockerManifest);
  });

  test("an index lists child manifests", () => {
    const parsed = parseManifest(
      enc({ schemaVersion: 2, manifests: [ref("m", mediaTypes.ociManifest)] }),
    );
    expect(parsed.mediaType).toBe(mediaTypes.ociIndex);
    expect(parsed.manifests.map((m) => m.digest)).toEqual([digestOf("m")]);
  });

  test("foreign layers with URLs need not be in the repository", () => {
    const foreign = {
      ...ref("f", mediaTypes.dockerForeignLayer),
      urls: ["https://example.invalid/layer"],
    };
    const parsed = parseManifest(
      enc({
        schemaVersion: 2,
        mediaType: mediaTypes.dockerManifest,
        config: ref("c"),
        layers: [foreign],
      }),
    );
    expect(parsed.blobs.map((b) => b.digest)).toEqual([digestOf("c")]);
  });

  test("subject and artifactType are read; artifactType falls back to the config type", () => {
    const parsed = parseManifest(
      enc({
        schemaVersion: 2,
        mediaType: mediaTypes.ociManifest,
        config: ref("c", "application/vnd.example.config"),
        layers: [],
        subject: ref("s", mediaTypes.ociManifest),
      }),
    );
    expect(parsed.subject?.digest).toBe(digestOf("s"));
    expect(parsed.artifactType).toBe("application/vnd.example.config");
  });

  test.each([
    ["not JSON", new TextEncoder().encode("{")],
    ["invalid UTF-8", new Uint8Array([0x7b, 0xff, 0x7d])],
    ["an array", enc([])],
    ["schema 1", enc({ schemaVersion: 1 })],
    ["no config", enc({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, layers: [] })],
    [
      "layers not an array",
      enc({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: ref("c"), layers: {} }),
    ],
    [
      "a bad digest",
      enc({
        schemaVersion: 2,
        mediaType: mediaTypes.ociManifest,
        config: { ...ref("c"), digest: "sha256:1" },
        layers: [],
      }),
    ],
    [
      "a fractional size",
      enc({
        schemaVersion: 2,
        mediaType: mediaTypes.ociManifest,
        config: { ...ref("c"), size: 1.5 },
        layers: [],
      }),
    ],
    [
      "an unknown media type",
      enc({ schemaVersion: 2, mediaType: "application/x-unknown", config: ref("c"), layers: [] }),
    ],
  ])("%s is MANIFEST_INVALID", (_label, content) => {
    expect(() => parseManifest(content)).toThrow(
      expect.objectContaining({ code: "MANIFEST_INVALID" }),
    );
  });

  test("a Content-Type that contradicts the mediaType field is MANIFEST_INVALID", () => {
    const content = enc({
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      config: ref("c"),
      layers: [],
    });
    expect(() => parseManifest(content, mediaTypes.dockerManifest)).toThrow(
      expect.objectContaining({ code: "MANIFEST_INVALID" }),
    );
  });
});
