import type { Descriptor } from "../registry/descriptor.ts";
import { type Digest, digestParts } from "../registry/digest.ts";
import { type RegistryError, registryError } from "../registry/errors.ts";
import type { GlobalBlobStore } from "../storage/blobstore.ts";
import { type FileWriter, isPathNotFound, type StorageDriver } from "../storage/driver/driver.ts";
import { blobDataPath, uploadDataPath, uploadPath } from "../storage/paths.ts";
import { recordUploadStart } from "../storage/uploads.ts";
import { type MirrorMetrics, noMirrorMetrics } from "./metrics.ts";

/**
 * Bytes between checkpoints of what the staging file holds, for readers that fell out of memory;
 * and the most one pull reads back from it. Few syscalls, flat memory.
 */
const storeStep = 1024 * 1024;
const readStep = 1024 * 1024;
/**
 * The newest upstream bytes kept in memory: readers that keep up never read the file back. Kept
 * small because chunks held this long outlive the heap's young generation and the runtime takes
 * fresh pages for the ones that follow: a 5 × 32 MiB cold pull took ~40 thousand page faults
 * with 8 MiB per blob and ~22 thousand with 2 MiB, and finished ~5% sooner.
 */
const recentBytes = 2 * 1024 * 1024;

export type FetchMetrics = Pick<MirrorMetrics, "bytesFromUpstream" | "joined">;

/** Where a fetched blob is staged and who must see it once it is verified. */
export interface FetchTarget {
  /** Local repository the staging upload lives in. */
  readonly repository: string;
  /** Opens the upstream GET; resolves when headers are in. */
  readonly open: (signal: AbortSignal) => Promise<Response>;
  /** Links the verified blob into a repository (and schedules its expiry). */
  readonly link: (descriptor: Descriptor) => Promise<void>;
}

export interface StreamingBlob {
  readonly size?: number;
  readonly stream: ReadableStream<Uint8Array>;
}

/**
 * One upstream fetch per digest, however many clients ask at once. The fetch writes into a
 * staging upload and keeps the newest 2 MiB in memory: a client that keeps up is handed each
 * chunk as it arrives, one that falls behind reads the staging file back, so no client waits
 * for the whole blob and memory stays bounded. The last byte is released only after the digest
 * verifies: a lying upstream can truncate a response, never complete it with wrong bytes. A
 * blob that fails verification is deleted, never linked. A verified blob is synced, moved and
 * linked after its readers have it all, so a cold pull does not wait for the disk; `settled`
 * waits for that.
 */
export class BlobFetcher {
  private readonly inflight = new Map<string, InflightBlob>();

  constructor(
    private readonly driver: StorageDriver,
    private readonly global: GlobalBlobStore,
    private readonly metrics: FetchMetrics = noMirrorMetrics,
  ) {}

  /** Resolves once every fetch started so far has stored its blob (or failed). */
  async settled(): Promise<void> {
    while (this.inflight.size > 0)
      await Promise.all([...this.inflight.values()].map((blob) => blob.finished));
  }

  /** The fetch in flight for a digest, if any (its size once known). */
  pending(digest: Digest): InflightBlob | undefined {
    return this.inflight.get(digest);
  }

  async fetch(digest: Digest, target: FetchTarget): Promise<StreamingBlob> {
    let blob = this.inflight.get(digest);
    if (blob) {
      this.metrics.joined();
      blob.alsoLink(target.link);
    } else {
      blob = new InflightBlob(digest, target, this.driver, this.global, this.metrics);
      this.inflight.set(digest, blob);
      blob.finished.finally(() => this.inflight.delete(digest));
      blob.start();
    }
    const size = await blob.ready;
    return { size, stream: blob.subscribe() };
  }
}

/** A client reading the blob as it arrives. */
interface Reader {
  position: number;
  readonly controller: ReadableStreamDefaultController<Uint8Array>;
  /** Caught up: the fetch serves it again as soon as there are new bytes. */
  parked: boolean;
  /** Reading the staging file back for it. */
  busy: boolean;
}

class InflightBlob {
  readonly ready: Promise<number | undefined>;
  readonly finished: Promise<void>;
  private resolveReady!: (size: number | undefined) => void;
  private rejectReady!: (err: unknown) => void;
  private resolveFinished!: () => void;
  private readonly links: FetchTarget["link"][] = [];
  private readonly id = crypto.randomUUID();
  /** Bytes received, hashed and handed to the writer. */
  private written = 0;
  /** Bytes the staging file is known to hold, and the last checkpoint asked for. */
  private stored = 0;
  private storing = 0;
  private readonly recent = new RecentChunks(recentBytes);
  /** Bytes readers may have; all of them (`done`) only once verified. */
  private released = 0;
  private done = false;
  private committed = false;
  private failure?: RegistryError;
  private readonly readers = new Set<Reader>();

  constructor(
    private readonly digest: Digest,
    private readonly target: FetchTarget,
    private readonly driver: StorageDriver,
    private readonly global: GlobalBlobStore,
    private readonly metrics: FetchMetrics,
  ) {
    this.links.push(target.link);
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined);
    this.finished = new Promise((resolve) => {
      this.resolveFinished = resolve;
    });
  }

  alsoLink(link: FetchTarget["link"]): void {
    this.links.push(link);
  }

  start(): void {
    void this.run().finally(() => this.resolveFinished());
  }

  subscribe(): ReadableStream<Uint8Array> {
    let reader: Reader;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        reader = { position: 0, controller, parked: false, busy: false };
        this.readers.add(reader);
      },
      pull: () => this.serve(reader),
      cancel: () => {
        this.readers.delete(reader);
      },
    });
  }

  /**
   * Hands `reader` its next bytes, from memory or else from the staging file, or parks it until
   * the fetch has more. A parked reader is served straight from the fetch's loop, which spares
   * a promise hop per chunk on the path every cold pull takes.
   */
  private serve(reader: Reader): Promise<void> | undefined {
    if (reader.busy) return;
    reader.parked = false;
    if (this.failure) {
      this.finish(reader, this.failure);
    } else if (reader.position < this.released) {
      const chunk = this.recent.slice(reader.position, this.released);
      if (chunk) this.hand(reader, chunk);
      else if (reader.position < this.stored) return this.readBack(reader);
      else reader.parked = true;
    } else if (this.done) {
      this.finish(reader);
    } else {
      reader.parked = true;
    }
  }

  private async readBack(reader: Reader): Promise<void> {
    reader.busy = true;
    try {
      this.hand(reader, await this.read(reader.position, Math.min(this.released, this.stored)));
    } catch (err) {
      this.finish(reader, err);
    } finally {
      reader.busy = false;
    }
  }

  private hand(reader: Reader, chunk: Uint8Array): void {
    reader.position += chunk.byteLength;
    reader.controller.enqueue(chunk);
  }

  /** Ends a reader's stream: closed once it has everything, or errored. */
  private finish(reader: Reader, err?: unknown): void {
    this.readers.delete(reader);
    try {
      if (err === undefined) reader.controller.close();
      else reader.controller.error(err);
    } catch {
      // Its client tore the stream down first: nothing left to tell.
    }
  }

  /** Serves the readers that are waiting for bytes. */
  private wakeReaders(): void {
    for (const reader of this.readers) {
      if (!reader.parked) continue;
      try {
        this.serve(reader);
      } catch {
        // A stream its client has torn down refuses bytes; that reader is simply gone.
        this.readers.delete(reader);
      }
    }
  }

  private async run(): Promise<void> {
    const abort = new AbortController();
    let writer: FileWriter | undefined;
    try {
      const response = await this.target.open(abort.signal);
      if (response.status === 404)
        throw registryError("BLOB_UNKNOWN", "blob unknown to the upstream registry", {
          digest: this.digest,
        });
      if (!response.ok || !response.body)
        throw registryError("UNAVAILABLE", `upstream answered ${response.status}`, undefined, 502);
      const declared = response.headers.get("content-length");
      const size = declared === null ? undefined : Number(declared);
      this.resolveReady(size);
      writer = await this.stage();
      await this.pump(response.body, writer, size);
      await this.commit(size);
    } catch (err) {
      abort.abort();
      await writer?.close().catch(() => undefined);
      await this.fail(err);
    }
  }

  private async stage(): Promise<FileWriter> {
    const { repository } = this.target;
    await recordUploadStart(this.driver, repository, this.id, new Date());
    return this.driver.writer(uploadDataPath(repository, this.id), false);
  }

  /**
   * Streams the body to storage and to the readers: everything but the last byte is released as
   * it arrives (without a declared size, each chunk once the next one comes), the last byte only
   * once the digest verified.
   */
  private async pump(
    body: ReadableStream<Uint8Array>,
    writer: FileWriter,
    size: number | undefined,
  ): Promise<void> {
    const hasher = new Bun.CryptoHasher(digestParts(this.digest).algorithm);
    for await (const chunk of body) {
      if (size !== undefined && this.written + chunk.byteLength > size)
        throw registryError(
          "UNAVAILABLE",
          "upstream sent more bytes than it declared",
          undefined,
          502,
        );
      hasher.update(chunk);
      await writer.write(chunk);
      this.recent.add(this.written, chunk);
      this.written += chunk.byteLength;
      this.metrics.bytesFromUpstream(chunk.byteLength);
      this.release(
        size === undefined ? this.written - chunk.byteLength : Math.min(this.written, size - 1),
      );
      if (this.written - this.storing >= storeStep) this.checkpoint(writer);
    }
    const actual = `${digestParts(this.digest).algorithm}:${hasher.digest("hex")}`;
    if (actual !== this.digest || (size !== undefined && this.written !== size)) {
      throw registryError(
        "UNAVAILABLE",
        "upstream content did not match its digest; nothing was stored",
        { expected: this.digest, actual },
        502,
      );
    }
    // Verified: readers get the rest now, while the blob is made durable and moved into place.
    this.release(this.written, true);
    await writer.flush();
    this.markStored(this.written);
    await writer.commit();
    await writer.close();
  }

  /**
   * Notes what the staging file holds once the writer has it, for readers that fell behind the
   * memory window. Not awaited: the fetch goes on receiving while the pool writes, and a write
   * error reaches the fetch at its next write or flush.
   */
  private checkpoint(writer: FileWriter): void {
    const mark = this.written;
    this.storing = mark;
    writer.flush().then(
      () => this.markStored(mark),
      () => undefined,
    );
  }

  private markStored(mark: number): void {
    if (mark <= this.stored) return;
    this.stored = mark;
    this.wakeReaders();
  }

  private async commit(size: number | undefined): Promise<void> {
    const descriptor: Descriptor = {
      digest: this.digest,
      size: size ?? this.written,
      mediaType: "application/octet-stream",
    };
    if (!(await this.global.exists(this.digest))) {
      await this.driver.move(
        uploadDataPath(this.target.repository, this.id),
        blobDataPath(this.digest),
      );
    }
    this.committed = true;
    for (const link of this.links) await link(descriptor);
    await this.removeStaging();
  }

  /** Lets readers have the bytes before `upTo`; `last` once they are all there and verified. */
  private release(upTo: number, last = false): void {
    this.released = Math.max(this.released, upTo);
    this.done = last;
    this.wakeReaders();
  }

  private async fail(err: unknown): Promise<void> {
    this.failure = (err as RegistryError).code
      ? (err as RegistryError)
      : registryError(
          "UNAVAILABLE",
          `upstream fetch failed: ${(err as Error).message}`,
          undefined,
          502,
        );
    this.rejectReady(this.failure);
    this.wakeReaders();
    await this.removeStaging();
  }

  private async removeStaging(): Promise<void> {
    await this.driver.delete(uploadPath(this.target.repository, this.id)).catch(() => undefined);
  }

  /** Reads [from, to) from the staging file, or from the blob once it has been moved there. */
  private async read(from: number, to: number): Promise<Uint8Array> {
    for (let attempt = 0; ; attempt++) {
      const path = this.committed
        ? blobDataPath(this.digest)
        : uploadDataPath(this.target.repository, this.id);
      try {
        const blob = await this.driver.blob(path);
        return new Uint8Array(await blob.slice(from, Math.min(to, from + readStep)).arrayBuffer());
      } catch (err) {
        // The staging file moves into place on commit; look again at the final path.
        const vanished = isPathNotFound(err) || (err as { code?: string }).code === "ENOENT";
        if (!vanished || attempt > 0) throw err;
        this.committed = this.committed || (await this.global.exists(this.digest));
      }
    }
  }
}

/** The last `limit` bytes of a stream, as the chunks they arrived in, by offset. */
class RecentChunks {
  private readonly chunks: { start: number; bytes: Uint8Array }[] = [];
  private held = 0;

  constructor(private readonly limit: number) {}

  add(start: number, bytes: Uint8Array): void {
    this.chunks.push({ start, bytes });
    this.held += bytes.byteLength;
    while (
      this.chunks.length > 1 &&
      this.held - (this.chunks[0]?.bytes.byteLength ?? 0) >= this.limit
    )
      this.held -= this.chunks.shift()?.bytes.byteLength ?? 0;
  }

  /** The bytes from `from` up to (not including) `to` in the chunk holding `from`, if still held. */
  slice(from: number, to: number): Uint8Array | undefined {
    const first = this.chunks[0];
    if (!first || from < first.start) return undefined;
    for (const { start, bytes } of this.chunks) {
      const end = start + bytes.byteLength;
      if (from < end) return bytes.subarray(from - start, Math.min(end, to) - start);
    }
    return undefined;
  }
}
