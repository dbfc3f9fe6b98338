import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import {
  buildBinary,
  freePort,
  type ServerProcess,
  startServer,
  tempDir,
  writeConfig,
} from "../support/process.ts";

const MiB = 1024 * 1024;

/**
 * A request body generated on the fly (deterministic bytes, hashed as they are produced), so
 * neither side ever holds the blob: only the server's streaming is being measured.
 */
function generatedBody(
  size: number,
  seed: number,
): { body: ReadableStream<Uint8Array>; digest: Promise<string> } {
  const hasher = new Bun.CryptoHasher("sha256");
  const chunk = new Uint8Array(MiB);
  let sent = 0;
  let resolveDigest: (digest: string) => void = () => {};
  const digest = new Promise<string>((resolve) => {
    resolveDigest = resolve;
  });
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) {
        resolveDigest(`sha256:${hasher.digest("hex")}`);
        controller.close();
        return;
      }
      const length = Math.min(chunk.byteLength, size - sent);
      const view = new DataView(chunk.buffer);
      for (let i = 0; i + 4 <= length; i += 4096) view.setUint32(i, (sent + i) ^ seed);
      const piece = chunk.slice(0, length);
      hasher.update(piece);
      sent += length;
      controller.enqueue(piece);
    },
  });
  return { body, digest };
}

describe("large streamed uploads against the compiled binary", () => {
  let server: ServerProcess;
  let work: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    work = await tempDir();
    const binary = await buildBinary();
    const port = await freePort();
    server = await startServer(
      [binary, "serve", await writeConfig(work.path, port, join(work.path, "data"))],
      port,
    );
  });

  afterAll(async () => {
    await server?.stop();
    await work?.cleanup();
  });

  test("a 1 GiB chunked push streams through with peak RSS under 150 MB", async () => {
    const size = 1024 * MiB;
    const start = await fetch(`${server.url}/v2/big/blob/blobs/uploads/`, { method: "POST" });
    expect(start.status).toBe(202);
    const location = start.headers.get("location") as string;
    const generated = generatedBody(size, 0x5eed);
    const patch = await fetch(location, {
      method: "PATCH",
      body: generated.body,
      headers: { "Content-Type": "application/octet-stream" },
    });
    expect(patch.status).toBe(202);
    expect(patch.headers.get("range")).toBe(`0-${size - 1}`);
    const digest = await generated.digest;
    const put = await fetch(`${patch.headers.get("location")}?digest=${digest}`, { method: "PUT" });
    expect(put.status).toBe(201);
    expect(put.headers.get("docker-content-digest")).toBe(digest);
    const head = await fetch(`${server.url}/v2/big/blob/blobs/${digest}`, { method: "HEAD" });
    expect(head.headers.get("content-length")).toBe(String(size));
    const peak = await server.peakRSS();
    console.log(`peak RSS after 1 GiB push: ${(peak / MiB).toFixed(1)} MiB`);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(150 * 1000 * 1000);
  });

  test("a 200 MiB monolithic POST ?digest= passes Bun's default 128 MiB body limit", async () => {
    const size = 200 * MiB;
    const seed = 0xbeef;
    const first = generatedBody(size, seed);
    const reader = first.body.getReader();
    while (!(await reader.read()).done) {}
    const digest = await first.digest;
    const response = await fetch(`${server.url}/v2/big/mono/blobs/uploads/?digest=${digest}`, {
      method: "POST",
      body: generatedBody(size, seed).body,
      headers: { "Content-Type": "application/octet-stream" },
    });
    expect(response.status).toBe(201);
    const get = await fetch(`${server.url}/v2/big/mono/blobs/${digest}`);
    const hasher = new Bun.CryptoHasher("sha256");
    for await (const chunk of get.body as ReadableStream<Uint8Array>) hasher.update(chunk);
    expect(`sha256:${hasher.digest("hex")}`).toBe(digest);
    expect(await server.peakRSS()).toBeLessThan(150 * 1000 * 1000);
  });
});
