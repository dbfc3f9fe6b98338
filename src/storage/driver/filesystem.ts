/**
 * The filesystem driver: driver path `/a/b` is `<rootdirectory>/a/b`.
 *
 * Durability: like Distribution's filesystem driver we do not fsync (an fsync per 4 KiB push
 * would dominate small-blob throughput). What we guarantee instead is that no reader ever sees
 * a partial file at a final path: `putContent` writes a temporary sibling and renames it into
 * place, and blob data is renamed into `blobs/` only after its digest was verified. A process
 * crash therefore loses nothing committed (the page cache survives it); a power loss can lose
 * the last seconds of writes, as with Distribution.
 */
import { type FileHandle, mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import {
  checkPath,
  type FileInfo,
  type FileWriter,
  InvalidOffsetError,
  PathNotFoundError,
  SkipDir,
  type StorageDriver,
  type WalkFn,
} from "./driver.ts";

const driverName = "filesystem";
/** Bytes buffered by a writer before it waits for the disk: bounds memory per upload. */
const flushThreshold = 4 * 1024 * 1024;

export interface FilesystemDriverOptions {
  readonly rootdirectory: string;
}

const isErrno = (err: unknown, ...codes: string[]): boolean =>
  typeof err === "object" && err !== null && codes.includes((err as { code?: string }).code ?? "");

export class FilesystemDriver implements StorageDriver {
  readonly name = driverName;
  readonly root: string;

  constructor(options: FilesystemDriverOptions) {
    this.root = resolve(options.rootdirectory);
  }

  /** The absolute file-system path of a driver path. */
  fullPath(path: string): string {
    checkPath(path, driverName);
    return path === "/" ? this.root : `${this.root}${path}`;
  }

  async getContent(path: string): Promise<Uint8Array> {
    const full = this.fullPath(path);
    try {
      return await Bun.file(full).bytes();
    } catch (err) {
      throw this.translate(err, path);
    }
  }

  async putContent(path: string, content: Uint8Array | string): Promise<void> {
    const full = this.fullPath(path);
    const temporary = `${full}.tmp-${crypto.randomUUID()}`;
    await mkdir(dirname(full), { recursive: true });
    try {
      await Bun.write(temporary, content);
      await rename(temporary, full);
    } catch (err) {
      await rm(temporary, { force: true });
      throw err;
    }
  }

  async reader(path: string, offset = 0): Promise<ReadableStream<Uint8Array>> {
    const info = await this.stat(path);
    if (info.isDir || offset < 0 || offset > info.size)
      throw new InvalidOffsetError(path, offset, driverName);
    return Bun.file(this.fullPath(path)).slice(offset).stream();
  }

  async writer(path: string, append: boolean): Promise<FileWriter> {
    const full = this.fullPath(path);
    await mkdir(dirname(full), { recursive: true });
    const handle = await open(full, append ? "a" : "w");
    const { size } = await handle.stat();
    return new FileSinkWriter(handle, size, () => rm(full, { force: true }));
  }

  async stat(path: string): Promise<FileInfo> {
    try {
      const info = await stat(this.fullPath(path));
      return {
        path,
        size: info.isDirectory() ? 0 : info.size,
        modTime: info.mtime,
        isDir: info.isDirectory(),
      };
    } catch (err) {
      throw this.translate(err, path);
    }
  }

  async list(path: string): Promise<string[]> {
    try {
      const names = await readdir(this.fullPath(path));
      const prefix = path === "/" ? "" : path;
      return names.sort().map((name) => `${prefix}/${name}`);
    } catch (err) {
      throw this.translate(err, path);
    }
  }

  async move(sourcePath: string, destPath: string): Promise<void> {
    const source = this.fullPath(sourcePath);
    const dest = this.fullPath(destPath);
    await this.stat(sourcePath);
    await mkdir(dirname(dest), { recursive: true });
    try {
      await rename(source, dest);
    } catch (err) {
      throw this.translate(err, sourcePath);
    }
  }

  async delete(path: string): Promise<void> {
    await this.stat(path);
    await rm(this.fullPath(path), { recursive: true, force: true });
  }

  async walk(path: string, fn: WalkFn): Promise<void> {
    for (const child of await this.list(path)) {
      let info: FileInfo;
      try {
        info = await this.stat(child);
      } catch (err) {
        if (err instanceof PathNotFoundError) continue;
        throw err;
      }
      const result = await fn(info);
      if (info.isDir && result !== SkipDir) await this.walk(child, fn);
    }
  }

  async blob(path: string): Promise<Blob> {
    const info = await this.stat(path);
    if (info.isDir) throw new PathNotFoundError(path, driverName);
    return Bun.file(this.fullPath(path));
  }

  private translate(err: unknown, path: string): unknown {
    return isErrno(err, "ENOENT", "ENOTDIR") ? new PathNotFoundError(path, driverName) : err;
  }
}

/** Streams writes through a Bun FileSink on an fd opened for append or truncate. */
class FileSinkWriter implements FileWriter {
  private readonly sink: Bun.FileSink;
  private state: "open" | "committed" | "closed" | "cancelled" = "open";
  private buffered = 0;
  private written: number;

  constructor(
    private readonly handle: FileHandle,
    initialSize: number,
    private readonly removeFile: () => Promise<void>,
  ) {
    this.written = initialSize;
    this.sink = Bun.file(handle.fd).writer({ highWaterMark: flushThreshold });
  }

  get size(): number {
    return this.written;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.state !== "open") throw new Error(`${driverName}: write on a ${this.state} writer`);
    this.sink.write(chunk);
    this.written += chunk.byteLength;
    this.buffered += chunk.byteLength;
    if (this.buffered >= flushThreshold) {
      this.buffered = 0;
      await this.sink.flush();
    }
  }

  async flush(): Promise<void> {
    if (this.state !== "open") throw new Error(`${driverName}: flush on a ${this.state} writer`);
    if (this.buffered === 0) return;
    this.buffered = 0;
    await this.sink.flush();
  }

  async commit(): Promise<void> {
    if (this.state !== "open") throw new Error(`${driverName}: commit on a ${this.state} writer`);
    await this.sink.flush();
    this.buffered = 0;
    this.state = "committed";
  }

  async close(): Promise<void> {
    if (this.state === "closed" || this.state === "cancelled") return;
    this.state = "closed";
    await this.release();
  }

  async cancel(): Promise<void> {
    if (this.state === "cancelled") return;
    const wasOpen = this.state !== "closed";
    this.state = "cancelled";
    if (wasOpen) await this.release();
    await this.removeFile();
  }

  private async release(): Promise<void> {
    try {
      await this.sink.end();
    } finally {
      await this.handle.close();
    }
  }
}
