import { describe, expect, test } from "bun:test";
import { uploadBody, wholeUploadBodyBytes } from "../../src/http/body.ts";
import { isRegistryError } from "../../src/registry/errors.ts";

/** As a client sends it: a body of known size declares its length. */
function put(body: Uint8Array | ReadableStream<Uint8Array>, headers: Record<string, string> = {}) {
  const length: Record<string, string> =
    body instanceof Uint8Array ? { "content-length": String(body.byteLength) } : {};
  return new Request("http://registry.test/v2/a/blobs/uploads/x", {
    method: "PUT",
    body,
    headers: { ...length, ...headers },
  });
}

async function bytesOf(body: Awaited<ReturnType<typeof uploadBody>>): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  return body instanceof Uint8Array ? body : new Uint8Array(await new Response(body).arrayBuffer());
}

describe("uploadBody", () => {
  test("a body that declares a small length arrives whole", async () => {
    const content = new Uint8Array(wholeUploadBodyBytes).fill(7);
    const body = await uploadBody(put(content));
    expect(body).toBeInstanceOf(Uint8Array);
    expect(await bytesOf(body)).toEqual(content);
  });

  test("a larger body, or one of unknown length, is streamed", async () => {
    const content = new Uint8Array(wholeUploadBodyBytes + 1).fill(9);
    const large = await uploadBody(put(content));
    expect(large).toBeInstanceOf(ReadableStream);
    expect(await bytesOf(large)).toEqual(content);
    const unknown = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([1, 2, 3]));
        controller.close();
      },
    });
    const streamed = await uploadBody(put(unknown));
    expect(streamed).toBeInstanceOf(ReadableStream);
    expect(await bytesOf(streamed)).toEqual(new Uint8Array([1, 2, 3]));
  });

  test("a malformed declared length is not trusted: the body is streamed", async () => {
    for (const length of ["1e3", "-1", "12abc", " "]) {
      const body = await uploadBody(put(new Uint8Array([4, 5, 6]), { "content-length": length }));
      expect(body).toBeInstanceOf(ReadableStream);
      expect(await bytesOf(body)).toEqual(new Uint8Array([4, 5, 6]));
    }
  });

  test("a declared empty body is no body at all, so a commit after chunks opens nothing", async () => {
    const body = await uploadBody(put(new Uint8Array(0)));
    expect(body).toBeNull();
    expect(await bytesOf(body)).toEqual(new Uint8Array(0));
  });

  test("a small body that fails while it is read is an invalid upload", async () => {
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error("connection reset"));
      },
    });
    const request = put(failing, { "content-length": "10" });
    const error = await uploadBody(request).catch((err: unknown) => err);
    expect(isRegistryError(error, "BLOB_UPLOAD_INVALID")).toBe(true);
  });
});
