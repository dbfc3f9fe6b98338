import { afterEach, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobFetcher, type FetchTarget } from "../../src/proxy/inflight.ts";
import { digestOf } from "../../src/registry/digest.ts";
import { GlobalBlobStore } from "../../src/storage/blobstore.ts";
import type { StorageDriver } from "../../src/storage/driver/driver.ts";
import { FilesystemDriver } from "../../src/storage/driver/filesystem.ts";
import { InMemoryDriver } from "../../src/storage/driver/inmemory.ts";
import { blobDataPath } from "../../src/storage/paths.ts";

const mib = 1024 * 1024;
const content = new Uint8Array(6 * mib).map((_, i) => (i * 7 + (i >> 16)) & 255);
const digest = digestOf(content);

/**
 * An upstream whose body the test feeds piece by piece, in 64 KiB chunks: `sends` instead of
 * the blob's bytes (a lying upstream), with or without a Content-Length.
 */
function controlledUpstream(sends = content, declared = true) {
  let feed!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      feed = controller;
    },
  });
  const headers: Record<string, string> = declared
    ? { "content-length": String(content.byteLength) }
    : {};
  return {
    open: async () => new Response(body, { headers }),
    send(from: number, to: number) {
      for (let at = from; at < to; at += 64 * 1024)
        feed.enqueue(sends.slice(at, Math.min(to, at + 64 * 1024)));
    },
    end: () => feed.close(),
  };
}

/** Everything a stream gave before it ended, and whether it ended in an error. */
async function readAll(stream: ReadableStream<Uint8Array>) {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  try {
    await readUntil(reader, chunks);
    return { bytes: joined(chunks), failed: false };
  } catch {
    return { bytes: joined(chunks), failed: true };
  }
}

/** Reads from `reader` until at least `atLeast` bytes were collected in total, or the end. */
async function readUntil(
  reader: { read(): Promise<{ done: boolean; value?: Uint8Array }> },
  collected: Uint8Array[],
  atLeast = Number.POSITIVE_INFINITY,
): Promise<void> {
  const total = () => collected.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  while (total() < atLeast) {
    const { done, value } = await reader.read();
    if (done || !value) return;
    collected.push(value);
  }
}

const joined = (chunks: Uint8Array[]) => new Uint8Array(Buffer.concat(chunks));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const drivers: [string, () => Promise<StorageDriver>][] = [
  ["inmemory", async () => new InMemoryDriver()],
  [
    "filesystem",
    async () => {
      const root = await mkdtemp(join(tmpdir(), "skiff-inflight-"));
      cleanups.push(() => rm(root, { recursive: true, force: true }));
      return new FilesystemDriver({ rootdirectory: root });
    },
  ],
];

describe.each(drivers)("BlobFetcher on %s storage", (_, makeDriver) => {
  test("a client that joins once the first bytes left memory reads them from the staging upload", async () => {
    const driver = await makeDriver();
    const fetcher = new BlobFetcher(driver, new GlobalBlobStore(driver));
    const upstream = controlledUpstream();
    const target: FetchTarget = {
      repository: "mirror/app",
      open: upstream.open,
      link: async () => {},
    };

    const first = await fetcher.fetch(digest, target);
    const firstReader = first.stream.getReader();
    const firstChunks: Uint8Array[] = [];
    upstream.send(0, 4 * mib);
    await readUntil(firstReader, firstChunks, 3 * mib);

    const late = await fetcher.fetch(digest, target);
    const lateReader = late.stream.getReader();
    const lateChunks: Uint8Array[] = [];
    await readUntil(lateReader, lateChunks, 1);
    upstream.send(4 * mib, content.byteLength);
    upstream.end();
    await Promise.all([readUntil(firstReader, firstChunks), readUntil(lateReader, lateChunks)]);

    expect(joined(firstChunks)).toEqual(content);
    expect(joined(lateChunks)).toEqual(content);
    await fetcher.settled();
    expect((await driver.stat(blobDataPath(digest))).size).toBe(content.byteLength);
  });

  test("a client that joins while the verified blob is being linked reads it from its place", async () => {
    const driver = await makeDriver();
    const fetcher = new BlobFetcher(driver, new GlobalBlobStore(driver));
    const upstream = controlledUpstream();
    let linked!: () => void;
    const linking = new Promise<void>((resolve) => {
      linked = resolve;
    });
    let linkStarted!: () => void;
    const inLink = new Promise<void>((resolve) => {
      linkStarted = resolve;
    });
    const target: FetchTarget = {
      repository: "mirror/app",
      open: upstream.open,
      link: async () => {
        linkStarted();
        await linking;
      },
    };

    const first = await fetcher.fetch(digest, target);
    upstream.send(0, content.byteLength);
    upstream.end();
    expect(new Uint8Array(await new Response(first.stream).arrayBuffer())).toEqual(content);
    await inLink;

    const late = await fetcher.fetch(digest, target);
    expect(new Uint8Array(await new Response(late.stream).arrayBuffer())).toEqual(content);
    linked();
    await fetcher.settled();
  });
  test.each([
    ["declares its size", true, content.byteLength - 1],
    ["declares no size", false, content.byteLength - 64 * 1024],
  ])(
    "an upstream that %s and lies in its last byte: readers get the true bytes before it, then an error",
    async (_, declared, releasedBefore) => {
      const driver = await makeDriver();
      const fetcher = new BlobFetcher(driver, new GlobalBlobStore(driver));
      const lie = content.slice();
      lie[lie.byteLength - 1] = ((lie[lie.byteLength - 1] ?? 0) + 1) & 255;
      const upstream = controlledUpstream(lie, declared);
      const target: FetchTarget = {
        repository: "mirror/app",
        open: upstream.open,
        link: async () => {},
      };

      const fetched = await fetcher.fetch(digest, target);
      upstream.send(0, content.byteLength);
      upstream.end();
      const { bytes, failed } = await readAll(fetched.stream);

      expect(failed).toBe(true);
      expect(bytes.byteLength).toBe(releasedBefore);
      expect(bytes).toEqual(content.subarray(0, releasedBefore));
      await fetcher.settled();
      await expect(driver.stat(blobDataPath(digest))).rejects.toThrow();
    },
  );
});
