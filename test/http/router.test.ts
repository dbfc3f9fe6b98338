import { describe, expect, test } from "bun:test";
import { matchRoute } from "../../src/http/router.ts";

describe("matchRoute", () => {
  const digest = `sha256:${"a".repeat(64)}`;
  test.each([
    ["", { kind: "base" }],
    ["/", { kind: "base" }],
    ["/_catalog", { kind: "catalog" }],
    [`/a/b/c/blobs/${digest}`, { kind: "blob", name: "a/b/c", digest }],
    ["/a/blobs/uploads/", { kind: "uploads", name: "a" }],
    ["/a/blobs/uploads", { kind: "uploads", name: "a" }],
    ["/a/b/blobs/uploads/some-id", { kind: "upload", name: "a/b", id: "some-id" }],
    ["/a/manifests/latest", { kind: "manifest", name: "a", reference: "latest" }],
    ["/x/manifests/tags/list", { kind: "tags", name: "x/manifests" }],
    ["/a/tags/list", { kind: "tags", name: "a" }],
    [`/a/referrers/${digest}`, { kind: "referrers", name: "a", digest }],
    ["/blobs/blobs/x", { kind: "blob", name: "blobs", digest: "x" }],
  ])("%p", (path, expected) => {
    expect(matchRoute(path)).toEqual(expected as never);
  });

  test.each(["/a", "/a/blobs", "/a/blobs/", "/a/tags", "/a/manifests/", "/_catalog/x"])(
    "%p matches nothing",
    (path) => {
      expect(matchRoute(path)).toBeUndefined();
    },
  );
});
