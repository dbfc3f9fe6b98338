import { describe, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { digestOf } from "../../src/registry/digest.ts";
import {
  bytes,
  errorCode,
  pushBlob,
  randomBytes,
  tempFilesystemDriver,
  testRegistry,
} from "../support/registry.ts";

describe("blobs", () => {
  test("HEAD and GET serve a pushed blob with its headers", async () => {
    const registry = testRegistry();
    const content = randomBytes(5000);
    const digest = await pushBlob(registry, "lib/app", content);

    const head = await registry.request("HEAD", `/v2/lib/app/blobs/${digest}`);
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("5000");
    expect(head.headers.get("docker-content-digest")).toBe(digest);
    expect(head.headers.get("etag")).toBe(`"${digest}"`);
    expect(head.headers.get("accept-ranges")).toBe("bytes");
    expect(head.headers.get("docker-distribution-api-version")).toBe("registry/2.0");

    const get = await registry.request("GET", `/v2/lib/app/blobs/${digest}`);
    expect(get.status).toBe(200);
    expect(get.headers.get("content-type")).toBe("application/octet-stream");
    expect(new Uint8Array(await get.arrayBuffer())).toEqual(content);
  });

  test("a link file a power cut left empty or torn reads as not linked; a new push repairs it", async () => {
    const { driver, root, cleanup } = await tempFilesystemDriver();
    try {
      const registry = testRegistry({ driver });
      const content = randomBytes(3000, 9);
      const digest = await pushBlob(registry, "lib/app", content);
      const link = join(
        root,
        "docker/registry/v2/repositories/lib/app/_layers/sha256",
        digest.slice(7),
        "link",
      );
      for (const torn of ["", digest.slice(0, 20)]) {
        await writeFile(link, torn);
        const head = await registry.request("HEAD", `/v2/lib/app/blobs/${digest}`);
        expect(head.status).toBe(404);
        const get = await registry.request("GET", `/v2/lib/app/blobs/${digest}`);
        expect(await errorCode(get)).toBe("BLOB_UNKNOWN");
      }
      expect(await pushBlob(registry, "lib/app", content)).toBe(digest);
      const get = await registry.request("GET", `/v2/lib/app/blobs/${digest}`);
      expect(get.status).toBe(200);
      expect(new Uint8Array(await get.arrayBuffer())).toEqual(content);
    } finally {
      await cleanup();
    }
  });

  test("a blob is visible only in the repositories it is linked into", async () => {
    const registry = testRegistry();
    const digest = await pushBlob(registry, "a", bytes("shared"));
    const response = await registry.request("HEAD", `/v2/b/blobs/${digest}`);
    expect(response.status).toBe(404);
    const get = await registry.request("GET", `/v2/b/blobs/${digest}`);
    expect(await errorCode(get)).toBe("BLOB_UNKNOWN");
  });

  test("unknown blob is 404 BLOB_UNKNOWN in the error envelope", async () => {
    const registry = testRegistry();
    const response = await registry.request("GET", `/v2/a/blobs/${digestOf("nope")}`);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/json");
    const body = (await response.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]?.code).toBe("BLOB_UNKNOWN");
    expect(body.errors[0]?.message).toBeString();
  });

  test("malformed digests are 400 DIGEST_INVALID before any storage access", async () => {
    const registry = testRegistry();
    for (const bad of [
      "sha256:abc",
      "md5:d41d8cd98f00b204e9800998ecf8427e",
      `sha256:${"g".repeat(64)}`,
      `sha256:${"A".repeat(64)}`,
      `sha512:${"a".repeat(64)}`,
    ]) {
      const response = await registry.request("GET", `/v2/a/blobs/${bad}`);
      expect(response.status).toBe(400);
      expect(await errorCode(response)).toBe("DIGEST_INVALID");
    }
  });

  describe("ranges", () => {
    const content = randomBytes(1000, 7);
    const setup = async () => {
      const registry = testRegistry();
      return { registry, digest: await pushBlob(registry, "r", content) };
    };

    test("a byte range answers 206 with Content-Range", async () => {
      const { registry, digest } = await setup();
      const response = await registry.request("GET", `/v2/r/blobs/${digest}`, {
        headers: { Range: "bytes=10-19" },
      });
      expect(response.status).toBe(206);
      expect(response.headers.get("content-range")).toBe("bytes 10-19/1000");
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(content.slice(10, 20));
    });

    test("open-ended and suffix ranges", async () => {
      const { registry, digest } = await setup();
      const open = await registry.request("GET", `/v2/r/blobs/${digest}`, {
        headers: { Range: "bytes=990-" },
      });
      expect(open.status).toBe(206);
      expect(new Uint8Array(await open.arrayBuffer())).toEqual(content.slice(990));
      const suffix = await registry.request("GET", `/v2/r/blobs/${digest}`, {
        headers: { Range: "bytes=-5" },
      });
      expect(suffix.headers.get("content-range")).toBe("bytes 995-999/1000");
    });

    test("an end past the size is clamped", async () => {
      const { registry, digest } = await setup();
      const response = await registry.request("GET", `/v2/r/blobs/${digest}`, {
        headers: { Range: "bytes=900-5000" },
      });
      expect(response.headers.get("content-range")).toBe("bytes 900-999/1000");
    });

    test("a start past the end is 416 with Content-Range */size", async () => {
      const { registry, digest } = await setup();
      const response = await registry.request("GET", `/v2/r/blobs/${digest}`, {
        headers: { Range: "bytes=1000-1001" },
      });
      expect(response.status).toBe(416);
      expect(response.headers.get("content-range")).toBe("bytes */1000");
      expect(await errorCode(response)).toBe("RANGE_INVALID");
    });

    test("malformed, reversed and overflowing ranges serve the whole blob", async () => {
      const { registry, digest } = await setup();
      for (const range of [
        "bytes=20-10",
        "items=0-1",
        "bytes=abc",
        `bytes=0-${"9".repeat(40)}`,
        "bytes=0-1,5-6",
      ]) {
        const response = await registry.request("GET", `/v2/r/blobs/${digest}`, {
          headers: { Range: range },
        });
        expect(response.status).toBe(200);
        expect((await response.arrayBuffer()).byteLength).toBe(1000);
      }
    });
  });

  test("If-None-Match with the ETag answers 304", async () => {
    const registry = testRegistry();
    const digest = await pushBlob(registry, "c", bytes("cached"));
    const response = await registry.request("GET", `/v2/c/blobs/${digest}`, {
      headers: { "If-None-Match": `"${digest}"` },
    });
    expect(response.status).toBe(304);
  });

  test("DELETE unlinks the blob from the repository only", async () => {
    const registry = testRegistry();
    const digest = await pushBlob(registry, "x", bytes("to delete"));
    await pushBlob(registry, "y", bytes("to delete"));
    const response = await registry.request("DELETE", `/v2/x/blobs/${digest}`);
    expect(response.status).toBe(202);
    expect((await registry.request("HEAD", `/v2/x/blobs/${digest}`)).status).toBe(404);
    expect((await registry.request("HEAD", `/v2/y/blobs/${digest}`)).status).toBe(200);
    expect((await registry.request("DELETE", `/v2/x/blobs/${digest}`)).status).toBe(404);
  });

  test("DELETE is 405 UNSUPPORTED when deletion is disabled", async () => {
    const registry = testRegistry({ deleteEnabled: false });
    const digest = await pushBlob(registry, "x", bytes("kept"));
    const response = await registry.request("DELETE", `/v2/x/blobs/${digest}`);
    expect(response.status).toBe(405);
    expect(await errorCode(response)).toBe("UNSUPPORTED");
    expect((await registry.request("HEAD", `/v2/x/blobs/${digest}`)).status).toBe(200);
  });
});
