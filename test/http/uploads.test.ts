import { describe, expect, test } from "bun:test";
import { digestOf } from "../../src/registry/digest.ts";
import {
  bytes,
  errorCode,
  pushBlob,
  randomBytes,
  type TestRegistry,
  testRegistry,
} from "../support/registry.ts";

async function startUpload(registry: TestRegistry, name: string): Promise<string> {
  const response = await registry.request("POST", `/v2/${name}/blobs/uploads/`);
  expect(response.status).toBe(202);
  const location = response.headers.get("location");
  expect(location).toBeString();
  expect(response.headers.get("docker-upload-uuid")).toBeString();
  expect(response.headers.get("range")).toBe("0-0");
  return new URL(location as string).pathname;
}

describe("uploads", () => {
  test("POST, PATCH chunks with Content-Range, PUT ?digest= commits the blob", async () => {
    const registry = testRegistry();
    const content = randomBytes(3000, 3);
    const path = await startUpload(registry, "lib/app");
    const first = await registry.request("PATCH", path, {
      body: content.slice(0, 1000),
      headers: { "Content-Range": "0-999", "Content-Type": "application/octet-stream" },
    });
    expect(first.status).toBe(202);
    expect(first.headers.get("range")).toBe("0-999");
    const next = new URL(first.headers.get("location") as string).pathname;
    const second = await registry.request("PATCH", next, {
      body: content.slice(1000, 2000),
      headers: { "Content-Range": "1000-1999" },
    });
    expect(second.headers.get("range")).toBe("0-1999");

    const status = await registry.request("GET", next);
    expect(status.status).toBe(204);
    expect(status.headers.get("range")).toBe("0-1999");
    expect(status.headers.get("docker-upload-uuid")).toBeString();

    const digest = digestOf(content);
    const put = await registry.request("PUT", `${next}?digest=${digest}`, {
      body: content.slice(2000),
    });
    expect(put.status).toBe(201);
    expect(put.headers.get("docker-content-digest")).toBe(digest);
    expect(new URL(put.headers.get("location") as string).pathname).toBe(
      `/v2/lib/app/blobs/${digest}`,
    );

    const get = await registry.request("GET", `/v2/lib/app/blobs/${digest}`);
    expect(new Uint8Array(await get.arrayBuffer())).toEqual(content);
    expect((await registry.request("GET", next)).status).toBe(404);
  });

  test("PATCH without Content-Range streams chunks in order", async () => {
    const registry = testRegistry();
    const path = await startUpload(registry, "s");
    await registry.request("PATCH", path, { body: bytes("hello ") });
    await registry.request("PATCH", path, { body: bytes("world") });
    const digest = digestOf("hello world");
    expect((await registry.request("PUT", `${path}?digest=${digest}`)).status).toBe(201);
  });

  test("an out-of-order chunk is 416 and leaves the upload as it was", async () => {
    const registry = testRegistry();
    const path = await startUpload(registry, "o");
    await registry.request("PATCH", path, {
      body: bytes("abc"),
      headers: { "Content-Range": "0-2" },
    });
    const skip = await registry.request("PATCH", path, {
      body: bytes("xyz"),
      headers: { "Content-Range": "10-12" },
    });
    expect(skip.status).toBe(416);
    expect(await errorCode(skip)).toBe("RANGE_INVALID");
    const malformed = await registry.request("PATCH", path, {
      body: bytes("xyz"),
      headers: { "Content-Range": "5-2" },
    });
    expect(malformed.status).toBe(416);
    const status = await registry.request("GET", path);
    expect(status.headers.get("range")).toBe("0-2");
  });

  test("digest mismatch is 400 DIGEST_INVALID and nothing becomes visible", async () => {
    const registry = testRegistry();
    const path = await startUpload(registry, "m");
    await registry.request("PATCH", path, { body: bytes("actual content") });
    const claimed = digestOf("other content");
    const put = await registry.request("PUT", `${path}?digest=${claimed}`);
    expect(put.status).toBe(400);
    expect(await errorCode(put)).toBe("DIGEST_INVALID");
    expect((await registry.request("HEAD", `/v2/m/blobs/${claimed}`)).status).toBe(404);
    expect(
      (await registry.request("HEAD", `/v2/m/blobs/${digestOf("actual content")}`)).status,
    ).toBe(404);
    const files: string[] = [];
    await registry.driver.walk("/", (info) => {
      if (!info.isDir && info.path.includes("/blobs/")) files.push(info.path);
      return undefined;
    });
    expect(files).toEqual([]);
  });

  test("PUT without a valid digest is DIGEST_INVALID", async () => {
    const registry = testRegistry();
    const path = await startUpload(registry, "d");
    expect(await errorCode(await registry.request("PUT", path))).toBe("DIGEST_INVALID");
    expect(await errorCode(await registry.request("PUT", `${path}?digest=sha256:123`))).toBe(
      "DIGEST_INVALID",
    );
  });

  test("monolithic POST ?digest= stores the body in one request", async () => {
    const registry = testRegistry();
    const content = randomBytes(10_000, 9);
    const digest = digestOf(content);
    const response = await registry.request("POST", `/v2/mono/blobs/uploads/?digest=${digest}`, {
      body: content,
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("docker-content-digest")).toBe(digest);
    expect(
      (await registry.request("HEAD", `/v2/mono/blobs/${digest}`)).headers.get("content-length"),
    ).toBe("10000");
    const wrong = await registry.request(
      "POST",
      `/v2/mono/blobs/uploads/?digest=${digestOf("x")}`,
      { body: content },
    );
    expect(wrong.status).toBe(400);
    expect(await errorCode(wrong)).toBe("DIGEST_INVALID");
  });

  test("sha512 digests are verified too", async () => {
    const registry = testRegistry();
    const content = bytes("sha512 content");
    const digest = digestOf(content, "sha512");
    const response = await registry.request("POST", `/v2/alg/blobs/uploads/?digest=${digest}`, {
      body: content,
    });
    expect(response.status).toBe(201);
    expect((await registry.request("GET", `/v2/alg/blobs/${digest}`)).status).toBe(200);
  });

  test("cross-repository mount links an existing blob; unknown source falls back to an upload", async () => {
    const registry = testRegistry();
    const digest = await pushBlob(registry, "source", bytes("mount me"));
    const mounted = await registry.request(
      "POST",
      `/v2/target/blobs/uploads/?mount=${digest}&from=source`,
    );
    expect(mounted.status).toBe(201);
    expect(mounted.headers.get("docker-content-digest")).toBe(digest);
    expect((await registry.request("HEAD", `/v2/target/blobs/${digest}`)).status).toBe(200);

    const fallback = await registry.request(
      "POST",
      `/v2/target2/blobs/uploads/?mount=${digest}&from=elsewhere`,
    );
    expect(fallback.status).toBe(202);
    expect(fallback.headers.get("docker-upload-uuid")).toBeString();
    expect((await registry.request("HEAD", `/v2/target2/blobs/${digest}`)).status).toBe(404);
  });

  test("DELETE cancels an upload", async () => {
    const registry = testRegistry();
    const path = await startUpload(registry, "c");
    await registry.request("PATCH", path, { body: bytes("partial") });
    expect((await registry.request("DELETE", path)).status).toBe(204);
    expect((await registry.request("GET", path)).status).toBe(404);
    expect(await errorCode(await registry.request("PATCH", path, { body: bytes("x") }))).toBe(
      "BLOB_UPLOAD_UNKNOWN",
    );
  });

  test("unknown or malformed upload ids are BLOB_UPLOAD_UNKNOWN", async () => {
    const registry = testRegistry();
    for (const id of [crypto.randomUUID(), "not-a-uuid", "%2e%2e%2fx", "a.b"]) {
      const response = await registry.request("GET", `/v2/u/blobs/uploads/${id}`);
      expect(response.status).toBe(404);
      expect(await errorCode(response)).toBe("BLOB_UPLOAD_UNKNOWN");
    }
    // A dot-segment is resolved by URL parsing before routing: it can only ever point
    // at another route of the same registry, never at a path outside the upload folder.
    const dots = await registry.request("GET", "/v2/u/blobs/uploads/..");
    expect(dots.status).toBe(404);
  });

  test("a commit without the in-memory hash state re-hashes the data from storage", async () => {
    const first = testRegistry();
    const path = await startUpload(first, "restart");
    await first.request("PATCH", path, { body: bytes("written before a restart") });
    // A second registry on the same storage has no hash state, as after a restart.
    const second = testRegistry({ driver: first.driver });
    const digest = digestOf("written before a restart, and after");
    await second.request("PATCH", path, { body: bytes(", and after") });
    const put = await second.request("PUT", `${path}?digest=${digest}`);
    expect(put.status).toBe(201);
  });

  test("an upload that never received bytes has a status and commits the empty blob", async () => {
    const empty = digestOf("");
    for (const restarted of [false, true]) {
      const first = testRegistry();
      const path = await startUpload(first, "empty");
      // Without hash state, as when the commit reaches another instance or a restarted one.
      const registry = restarted ? testRegistry({ driver: first.driver }) : first;
      const status = await registry.request("GET", path);
      expect(status.status).toBe(204);
      expect(status.headers.get("range")).toBe("0-0");
      const put = await registry.request("PUT", `${path}?digest=${empty}`);
      expect(put.status).toBe(201);
      const get = await registry.request("GET", `/v2/empty/blobs/${empty}`);
      expect(get.status).toBe(200);
      expect((await get.arrayBuffer()).byteLength).toBe(0);
      expect((await registry.request("GET", path)).status).toBe(404);
    }
  });

  test("the same blob pushed twice stays one blob and both commits succeed", async () => {
    const registry = testRegistry();
    const content = bytes("twice");
    await pushBlob(registry, "one", content);
    await pushBlob(registry, "two", content);
    const blobs: string[] = [];
    await registry.driver.walk("/docker/registry/v2/blobs", (info) => {
      if (!info.isDir) blobs.push(info.path);
      return undefined;
    });
    expect(blobs).toHaveLength(1);
  });
});
