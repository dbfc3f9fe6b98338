import { describe, expect, test } from "bun:test";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { parseContentRange, parseRange } from "../../src/http/ranges.ts";
import { matchRoute } from "../../src/http/router.ts";
import { splitDigest } from "../../src/registry/digest.ts";
import { RegistryError } from "../../src/registry/errors.ts";
import { parseManifest } from "../../src/registry/manifest.ts";
import { isRepositoryName, isTag } from "../../src/registry/names.ts";
import { FilesystemDriver } from "../../src/storage/driver/filesystem.ts";
import { tempDir } from "../support/process.ts";
import { testRegistry } from "../support/registry.ts";

/** Bounded so CI time stays predictable; raise FUZZ_RUNS locally to dig deeper. */
const runs = Number(process.env.FUZZ_RUNS ?? 300);
/** A fixed seed keeps CI reproducible; FUZZ_SEED explores other inputs (fast-check prints it on failure). */
const seed = Number(process.env.FUZZ_SEED ?? 20261122);
const digest = `sha256:${"a".repeat(64)}`;

describe("parsers never throw anything but registry errors", () => {
  test("ranges, digests, names, tags", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.nat({ max: 2 ** 40 }), (text, size) => {
        parseRange(text, size);
        parseRange(`bytes=${text}`, size);
        parseContentRange(text);
        splitDigest(text);
        isRepositoryName(text);
        isTag(text);
        matchRoute(`/${text}`);
      }),
      { numRuns: runs * 10, seed },
    );
  });

  test("manifests: random bytes and random JSON", () => {
    const check = (content: Uint8Array, contentType?: string) => {
      try {
        parseManifest(content, contentType);
      } catch (err) {
        expect(err).toBeInstanceOf(RegistryError);
        expect((err as RegistryError).code).toBe("MANIFEST_INVALID");
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (content) => check(content)),
      { numRuns: runs, seed },
    );
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.constantFrom(undefined, "application/vnd.oci.image.manifest.v1+json", "text/plain"),
        (value, type) =>
          check(
            new TextEncoder().encode(
              JSON.stringify({
                schemaVersion: 2,
                ...((typeof value === "object" && value) || { value }),
              }),
            ),
            type,
          ),
      ),
      { numRuns: runs, seed },
    );
  });
});

describe("the HTTP router under random requests", () => {
  test("no 5xx, no uncaught exception, no file outside the storage root", async () => {
    const outer = await tempDir();
    const root = join(outer.path, "root");
    const registry = testRegistry({ driver: new FilesystemDriver({ rootdirectory: root }) });
    // One ordinary push, so the root exists and the fuzzed requests run against real content.
    const content = new TextEncoder().encode("seed blob");
    const seeded = await registry.request(
      "POST",
      `/v2/lib/app/blobs/uploads/?digest=sha256:${new Bun.CryptoHasher("sha256").update(content).digest("hex")}`,
      { body: content },
    );
    expect(seeded.status).toBe(201);
    const segment = fc.oneof(
      fc.constantFrom(
        "..",
        ".",
        "%2e%2e",
        "%2f",
        "blobs",
        "uploads",
        "manifests",
        "tags",
        "list",
        "referrers",
        "_catalog",
        "v2",
        digest,
        "sha256:",
        "latest",
        "a",
        "A",
        "-",
        "_",
        "..%2f..",
        "%00",
        "~",
        "",
      ),
      fc.string({ maxLength: 12 }),
    );
    const encode = (part: string) => encodeURI(part).replaceAll("?", "%3F").replaceAll("#", "%23");
    const randomPath = fc
      .array(segment, { minLength: 1, maxLength: 8 })
      .map((parts) => `/v2/${parts.map(encode).join("/")}`);
    // Paths shaped like real routes, so writes happen and names and references get abused.
    const name = fc.oneof(
      fc.constantFrom("lib/app", "a", "a/b/c", "A/b", "a..b", "a/../b", "x".repeat(300)),
      segment,
    );
    const suffix = fc.oneof(
      fc.constantFrom(
        "/blobs/uploads/",
        `/blobs/${digest}`,
        "/manifests/latest",
        "/tags/list",
        `/referrers/${digest}`,
        `/blobs/uploads/${crypto.randomUUID()}`,
      ),
      segment.map((reference) => `/manifests/${encode(reference)}`),
      segment.map((reference) => `/blobs/uploads/${encode(reference)}`),
    );
    const shapedPath = fc
      .tuple(name, suffix)
      .map(([n, s]) => `/v2/${n.split("/").map(encode).join("/")}${s}`);
    const path = fc.oneof(randomPath, shapedPath);
    const query = fc.dictionary(
      fc.constantFrom("digest", "mount", "from", "ns", "n", "last", "artifactType"),
      fc.oneof(
        fc.constantFrom(digest, "../../etc", "-1", "99999999999", "lib/app"),
        fc.string({ maxLength: 10 }),
      ),
      { maxKeys: 3 },
    );
    const headers = fc.record(
      {
        Range: fc.string({ maxLength: 20 }),
        "Content-Range": fc.string({ maxLength: 20 }),
        "Content-Type": fc.constantFrom(
          "application/vnd.oci.image.manifest.v1+json",
          "application/octet-stream",
          "x",
        ),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"),
        path,
        query,
        headers,
        fc.uint8Array({ maxLength: 64 }),
        async (method, p, q, h, body) => {
          const search = new URLSearchParams(q).toString();
          const safeHeaders = Object.fromEntries(
            Object.entries(h).filter(([, v]) => /^[\t\x20-\x7e]*$/.test(v)),
          );
          const response = await registry.request(method, `${p}${search ? `?${search}` : ""}`, {
            headers: safeHeaders,
            body: method === "GET" || method === "HEAD" ? undefined : body,
          });
          expect(response.status).toBeLessThan(500);
          await response.arrayBuffer();
        },
      ),
      { numRuns: runs, seed },
    );
    expect((await readdir(outer.path)).filter((entry) => entry !== "root")).toEqual([]);

    await outer.cleanup();
  });
});
