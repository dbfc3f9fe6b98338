import { afterEach, expect, test } from "bun:test";
import { closeSync, constants, openSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ThreadPoolWriter } from "../../../src/storage/driver/poolwriter.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function tempFile(initial?: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "skiff-poolwriter-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "data");
  if (initial !== undefined) writeFileSync(path, initial);
  return path;
}

/** A writer on `path` opened as the filesystem driver opens one: no O_APPEND, at `initialSize`. */
function writerOn(path: string, initialSize = 0, flags = constants.O_WRONLY | constants.O_CREAT) {
  const fd = openSync(path, flags);
  let closed = false;
  const file = {
    fd,
    close: async () => {
      if (!closed) closeSync(fd);
      closed = true;
    },
  };
  return new ThreadPoolWriter(
    file,
    initialSize,
    async () => {},
    async () => {},
    "test",
  );
}

/** Deterministic bytes, different for every offset of a long run. */
const pattern = (length: number, seed: number) =>
  new Uint8Array(length).map((_, i) => (i * 31 + seed * 7 + (i >> 12)) & 255);

test("batches in flight together land in the order they were written", async () => {
  const path = await tempFile();
  const writer = writerOn(path);
  // Small chunks are copied, large ones held; enough of both to keep several batches in flight.
  const sizes = [1, 4096, 65_536, 65_537, 300_000, 7, 1_048_576, 12_345];
  const chunks = Array.from({ length: 64 }, (_, i) => pattern(sizes[i % sizes.length] ?? 1, i));
  for (const chunk of chunks) await writer.write(chunk);
  await writer.flush();
  const expected = Buffer.concat(chunks);
  expect(writer.size).toBe(expected.byteLength);
  expect(Buffer.compare(readFileSync(path), expected)).toBe(0);
  await writer.commit();
  await writer.close();
});

test("a small chunk may be reused as soon as its write resolves", async () => {
  const path = await tempFile();
  const writer = writerOn(path);
  const reused = new Uint8Array(4096);
  for (let round = 0; round < 100; round++) {
    reused.fill(round);
    await writer.write(reused);
  }
  await writer.close();
  const written = readFileSync(path);
  for (let round = 0; round < 100; round++)
    expect(written.subarray(round * 4096, (round + 1) * 4096).every((b) => b === round)).toBe(true);
});

test("a writer resumed on an existing file writes after what it held", async () => {
  const path = await tempFile("already here;");
  const writer = writerOn(path, "already here;".length);
  await writer.write(new TextEncoder().encode("and more"));
  await writer.write(pattern(200_000, 3));
  await writer.close();
  const written = readFileSync(path);
  expect(written.subarray(0, 21).toString()).toBe("already here;and more");
  expect(Buffer.compare(written.subarray(21), Buffer.from(pattern(200_000, 3)))).toBe(0);
});

/** What `work` rejected with (bun's `rejects` matcher trips over the runtime's system errors). */
async function rejectionOf(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => undefined,
    (err: unknown) => err,
  );
}

test("a failed write is reported by every later call: write, flush, commit, close", async () => {
  // /dev/full answers every write with ENOSPC.
  const writer = writerOn("/dev/full", 0, constants.O_WRONLY);
  const attempt = async () => {
    for (let i = 0; i < 16; i++) await writer.write(pattern(512 * 1024, i));
    await writer.flush();
  };
  expect(await rejectionOf(attempt())).toMatchObject({ code: "ENOSPC" });
  expect(await rejectionOf(writer.commit())).toMatchObject({ code: "ENOSPC" });
  expect(await rejectionOf(writer.close())).toMatchObject({ code: "ENOSPC" });
});
