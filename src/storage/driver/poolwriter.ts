import { fdatasync, writev, writevSync } from "node:fs";
import { promisify } from "node:util";
import type { FileWriter } from "./driver.ts";

const fdatasyncAsync = promisify(fdatasync);
const writevAsync = promisify(writev);

/** Lets a writer gather chunks into fewer write(2) calls. */
const gatherBytes = 256 * 1024;
/** Chunks up to this size are copied, so callers may reuse them; larger ones are held as given. */
const copiedChunkBytes = 64 * 1024;
/**
 * Bytes handed to the pool and not yet written; `write` waits only beyond this. Enough batches
 * for every pool thread to have one, few enough that a slow disk holds little memory.
 */
const inFlightBytes = 1024 * 1024;
/** How much is written between background syncs of a large upload. */
const syncBehindBytes = 32 * 1024 * 1024;
/** Writes up to this size go straight to the page cache from the event loop. */
const inlineWriteBytes = 64 * 1024;

/** An open descriptor the writer owns: closed once, by `close` or `cancel`. */
export interface OwnedDescriptor {
  readonly fd: number;
  close(): Promise<void>;
}

type WriterState = "open" | "committed" | "closed" | "cancelled";

interface Batch {
  readonly bytes: number;
  readonly done: Promise<void>;
}

/**
 * Writes larger than a few pages go through the thread pool, not the event loop: a write(2) to
 * ext4 can wait for a journal commit, and other uploads' syncs start commits all the time.
 * Chunks are gathered and written together with one writev(2): small ones are copied into a
 * buffer (a request body arrives in chunks of 64 KiB and less), larger ones, such as an upstream
 * fetch's, are held as they are, which spares the event loop a copy of every byte.
 *
 * Each batch is written at its own offset (pwritev), so several are in flight at once and
 * `write` returns without waiting for the disk until `inFlightBytes` are outstanding: the
 * caller keeps receiving, hashing and relaying while pool threads copy into the page cache.
 * Waiting for each batch before handing over the next left the event loop idle on every hop to
 * the pool and back; a cold mirror pull spent most of its time in those waits.
 *
 * Every `syncBehindBytes` a sync of what is written so far starts in the background, so the
 * disk works while bytes still arrive and a commit waits only for the tail. It syncs through a
 * descriptor of its own: the kernel reports a writeback error once to each open file, so the
 * writer's own sync at commit still sees an error the background one met, and nobody (not a
 * chunk's answer, nor `close`) waits for a background sync.
 */
export class ThreadPoolWriter implements FileWriter {
  private state: WriterState = "open";
  /** Bytes accepted by `write`, counting what the file held before. */
  private written: number;
  /** Where the next batch goes in the file. */
  private offset: number;
  /** What the next batch takes: chunks held as given, and filled parts of `buffer`. */
  private gathered: Uint8Array[] = [];
  private gatheredBytes = 0;
  /** Where small chunks are copied to, from `filledFrom` up to `filled`. */
  private buffer: Uint8Array | undefined;
  private filledFrom = 0;
  private filled = 0;
  /** Copy buffers whose batch is written, kept for reuse. */
  private readonly spares: Uint8Array[] = [];
  /** Batches handed to the pool, oldest first, and their bytes. */
  private readonly inFlight: Batch[] = [];
  private inFlightTotal = 0;
  /** The first write error; every later call reports it. */
  private failure: { error: unknown } | undefined;
  /** The background sync in flight, and the size when it started. */
  private syncing: Promise<void> | undefined;
  private syncMark: number;

  constructor(
    private readonly file: OwnedDescriptor,
    initialSize: number,
    private readonly removeFile: () => Promise<void>,
    private readonly syncFile: () => Promise<void>,
    private readonly driverName: string,
  ) {
    this.written = initialSize;
    this.offset = initialSize;
    this.syncMark = initialSize;
  }

  get size(): number {
    return this.written;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.assertOpen("write to");
    this.throwIfFailed();
    if (chunk.byteLength === 0) return;
    this.written += chunk.byteLength;
    this.gatheredBytes += chunk.byteLength;
    if (chunk.byteLength > copiedChunkBytes) {
      this.gatherBuffered();
      this.gathered.push(chunk);
    } else {
      this.copy(chunk);
    }
    if (this.gatheredBytes >= gatherBytes) this.submitGathered();
    while (this.inFlightTotal > inFlightBytes) await this.inFlight[0]?.done;
    this.throwIfFailed();
  }

  async flush(): Promise<void> {
    this.assertOpen("flush");
    await this.drain();
  }

  async commit(): Promise<void> {
    this.assertOpen("commit");
    await this.drain();
    await fdatasyncAsync(this.file.fd);
    this.state = "committed";
  }

  async close(): Promise<void> {
    if (this.state === "closed" || this.state === "cancelled") return;
    const unwritten = this.state === "open";
    this.state = "closed";
    try {
      // A committed writer was drained by its commit, and takes no writes since.
      if (unwritten) await this.drain();
    } finally {
      await this.file.close();
    }
  }

  async cancel(): Promise<void> {
    if (this.state === "cancelled") return;
    const stillOpen = this.state !== "closed";
    this.state = "cancelled";
    if (stillOpen) {
      await this.settle();
      await this.file.close();
    }
    await this.removeFile();
  }

  /** Copies a small chunk after the ones before it, in a fresh buffer when this one is full. */
  private copy(chunk: Uint8Array): void {
    if (this.buffer && this.filled + chunk.byteLength > this.buffer.byteLength) {
      this.gatherBuffered();
      this.buffer = undefined;
    }
    if (!this.buffer) {
      this.buffer = this.spares.pop() ?? new Uint8Array(gatherBytes);
      this.filledFrom = 0;
      this.filled = 0;
    }
    this.buffer.set(chunk, this.filled);
    this.filled += chunk.byteLength;
  }

  /** Queues what was copied since the last time, keeping the buffer for more. */
  private gatherBuffered(): void {
    if (!this.buffer || this.filled === this.filledFrom) return;
    this.gathered.push(this.buffer.subarray(this.filledFrom, this.filled));
    this.filledFrom = this.filled;
  }

  /** Hands what was gathered to the pool, to be written at the next offset. */
  private submitGathered(): void {
    this.gatherBuffered();
    if (this.gathered.length === 0) return;
    const chunks = this.gathered;
    const bytes = this.gatheredBytes;
    // The buffer goes out with this batch; it is reused once the batch is written.
    const buffer = this.buffer;
    this.gathered = [];
    this.gatheredBytes = 0;
    this.buffer = undefined;
    const done = writeAllAt(this.file.fd, chunks, this.offset).then(
      () => {
        if (buffer) this.spares.push(buffer);
      },
      (error: unknown) => {
        this.failure ??= { error };
      },
    );
    const batch: Batch = { bytes, done: done.finally(() => this.retire(batch)) };
    this.offset += bytes;
    this.inFlight.push(batch);
    this.inFlightTotal += bytes;
    this.startSyncBehind();
  }

  private retire(batch: Batch): void {
    const index = this.inFlight.indexOf(batch);
    if (index >= 0) this.inFlight.splice(index, 1);
    this.inFlightTotal -= batch.bytes;
  }

  /** Starts a background sync once enough was written since the last one, if none is running. */
  private startSyncBehind(): void {
    if (this.syncing || this.written - this.syncMark < syncBehindBytes) return;
    this.syncMark = this.written;
    this.syncing = this.settle()
      .then(() => (this.failure ? undefined : this.syncFile()))
      .finally(() => {
        this.syncing = undefined;
      });
  }

  /** Everything handed to `write` is with the kernel once this resolves; a failure surfaces here. */
  private async drain(): Promise<void> {
    this.submitGathered();
    await this.settle();
    this.throwIfFailed();
  }

  /** Waits for the batches in flight now; never rejects (failures are kept in `failure`). */
  private async settle(): Promise<void> {
    await Promise.all(this.inFlight.map((batch) => batch.done));
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  private assertOpen(action: string): void {
    if (this.state !== "open")
      throw new Error(`${this.driverName}: cannot ${action} a ${this.state} writer`);
  }
}

/** Writes all of `chunks`, in order, starting at `position` in the file. */
async function writeAllAt(
  fd: number,
  chunks: readonly Uint8Array[],
  position: number,
): Promise<void> {
  let rest = chunks;
  let at = position;
  while (rest.length > 0) {
    // A few pages are copied to the page cache faster than a pool thread wakes up.
    const written =
      byteLengthOf(rest) <= inlineWriteBytes
        ? writevSync(fd, rest, at)
        : (await writevAsync(fd, rest, at)).bytesWritten;
    rest = unwritten(rest, written);
    at += written;
  }
}

const byteLengthOf = (chunks: readonly Uint8Array[]): number =>
  chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);

/** What a short write left of `chunks`. */
function unwritten(chunks: readonly Uint8Array[], written: number): readonly Uint8Array[] {
  let skipped = written;
  let index = 0;
  for (; index < chunks.length; index++) {
    const length = (chunks[index] as Uint8Array).byteLength;
    if (skipped < length) break;
    skipped -= length;
  }
  if (index === chunks.length) return [];
  return [(chunks[index] as Uint8Array).subarray(skipped), ...chunks.slice(index + 1)];
}
