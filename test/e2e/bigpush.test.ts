import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildBinary,
  freeBytes,
  freePort,
  logsOnFailure,
  type ServerProcess,
  startServer,
  tempDir,
  writeConfig,
} from "../support/process.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** The brief's ceiling for the server while it streams a blob of any size. */
const rssLimit = 150 * 1000 * 1000;
/** Per-test budget: bun's default of 5 s is far too short for a gigabyte on a busy CI machine. */
const streamingBudget = 300_000;

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
      // A word every 4 KiB that depends on the offset: no two chunks (or pages) are alike.
      for (let i = 0; i + 4 <= length; i += 4096) view.setUint32(i, (sent + i) ^ seed);
      const piece = chunk.slice(0, length);
      hasher.update(piece);
      sent += length;
      controller.enqueue(piece);
    },
  });
  return { body, digest };
}

/** The digest of a generated body, computed without sending it anywhere. */
async function digestOfGenerated(size: number, seed: number): Promise<string> {
  const generated = generatedBody(size, seed);
  const reader = generated.body.getReader();
  while (!(await reader.read()).done) {}
  return generated.digest;
}

describe("large streamed uploads against the compiled binary", () => {
  let server: ServerProcess | undefined;
  let work: Awaited<ReturnType<typeof tempDir>>;
  let root: string;
  const logged = logsOnFailure(() => [server]);

  /** Upload sessions left in a repository's `_uploads` (none once a blob is committed). */
  const openUploads = (name: string) =>
    readdir(join(root, "docker/registry/v2/repositories", name, "_uploads")).catch(() => []);
  const blobOnDisk = (digest: string) =>
    stat(
      join(root, "docker/registry/v2/blobs/sha256", digest.slice(7, 9), digest.slice(7), "data"),
    );

  beforeAll(async () => {
    // 1.2 GiB of blobs, each written once (upload data is renamed into place), plus headroom.
    const free = await freeBytes(tmpdir());
    if (free < 2 * GiB)
      throw new Error(`need 2 GiB free in ${tmpdir()}, have ${(free / GiB).toFixed(2)} GiB`);
    work = await tempDir();
    root = join(work.path, "data");
    const binary = await buildBinary();
    const port = await freePort();
    server = await startServer([binary, "serve", await writeConfig(work.path, port, root)], port);
  });

  afterAll(async () => {
    await server?.stop();
    await work?.cleanup();
  });

  test(
    "a 1 GiB chunked push streams through with peak RSS under 150 MB",
    logged(async () => {
      const size = GiB;
      const start = await fetch(`${server?.url}/v2/big/blob/blobs/uploads/`, { method: "POST" });
      expect(start.status).toBe(202);
      const location = new URL(start.headers.get("location") ?? "", server?.url);
      const generated = generatedBody(size, 0x5eed);
      const patch = await fetch(location, {
        method: "PATCH",
        body: generated.body,
        headers: { "Content-Type": "application/octet-stream" },
      });
      expect(patch.status).toBe(202);
      expect(patch.headers.get("range")).toBe(`0-${size - 1}`);
      const digest = await generated.digest;
      const commit = new URL(patch.headers.get("location") ?? "", location);
      commit.searchParams.set("digest", digest);
      const put = await fetch(commit, { method: "PUT" });
      expect(put.status).toBe(201);
      expect(put.headers.get("docker-content-digest")).toBe(digest);

      const head = await fetch(`${server?.url}/v2/big/blob/blobs/${digest}`, { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-length")).toBe(String(size));
      expect(head.headers.get("docker-content-digest")).toBe(digest);
      expect((await blobOnDisk(digest)).size).toBe(size);
      expect(await openUploads("big/blob")).toEqual([]);

      const peak = (await server?.peakRSS()) ?? 0;
      console.log(`peak RSS after 1 GiB push: ${(peak / MiB).toFixed(1)} MiB`);
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThan(rssLimit);
    }),
    streamingBudget,
  );

  test(
    "a 200 MiB monolithic POST ?digest= passes Bun's default 128 MiB body limit",
    logged(async () => {
      const size = 200 * MiB;
      const seed = 0xbeef;
      const digest = await digestOfGenerated(size, seed);
      const response = await fetch(`${server?.url}/v2/big/mono/blobs/uploads/?digest=${digest}`, {
        method: "POST",
        body: generatedBody(size, seed).body,
        headers: { "Content-Type": "application/octet-stream" },
      });
      expect(response.status).toBe(201);
      expect(response.headers.get("docker-content-digest")).toBe(digest);

      const head = await fetch(`${server?.url}/v2/big/mono/blobs/${digest}`, { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-length")).toBe(String(size));
      const get = await fetch(`${server?.url}/v2/big/mono/blobs/${digest}`);
      const hasher = new Bun.CryptoHasher("sha256");
      let received = 0;
      for await (const chunk of get.body as ReadableStream<Uint8Array>) {
        hasher.update(chunk);
        received += chunk.byteLength;
      }
      expect(received).toBe(size);
      expect(`sha256:${hasher.digest("hex")}`).toBe(digest);
      expect(await openUploads("big/mono")).toEqual([]);
      expect((await server?.peakRSS()) ?? 0).toBeLessThan(rssLimit);
    }),
    streamingBudget,
  );
});
