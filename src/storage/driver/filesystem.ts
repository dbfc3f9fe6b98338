/**
 * The filesystem driver: driver path `/a/b` is `<rootdirectory>/a/b`, so a skiff root and a
 * Distribution root are the same tree.
 *
 * Durability. Distribution's filesystem driver does fsync: its `Commit` syncs the file, and its
 * `PutContent` goes through a committed writer. We sync file data (fdatasync), never directories:
 * - `putContent` writes a uniquely named hidden sibling, syncs it and renames it over the final
 *   path. A crash or a power cut leaves the old content or the new at the final path, never a
 *   prefix or an empty file: without the sync, ext4 and XFS may persist the rename before the
 *   data. A put with `durable: false` skips the sync, and into a folder it has just created it
 *   writes the file in place (nothing to replace, no reader yet). The linked blob store uses it
 *   for links, whose content is implied by their path and checked on read, so an empty or torn
 *   file left by a crash reads as "not linked" (the same as a lost rename); the upload sessions
 *   use it for `startedat`, which the purger reads leniently. A synced put waits for a
 *   journal commit, which on a busy ext4 costs more than all the rest of a small push.
 * - `FileWriter.commit` syncs. Data is moved to its final place in `blobs/` only after a commit,
 *   so a blob stored at its content address is whole on disk. One sync per commit is amortised
 *   over the upload's bytes; `flush` only hands bytes to the kernel, for readers that follow a
 *   writer.
 * - A rename that a power cut loses leaves the previous state (no file, or the older one), which
 *   the registry already reads as "not pushed yet"; syncing every directory would not buy more.
 *
 * Threads. Calls that only touch the kernel's caches (stat, open, close, mkdir, rename, writes
 * of up to 64 KiB) run inline on the event loop, as nginx makes them: on a local disk each takes
 * microseconds, less than the hop to a pool thread and back, and the pool stays free for the
 * calls that wait on the device or move many bytes: fdatasync, larger writes and reads of blob
 * data, recursive deletes and directory listings. (On a network filesystem, where a metadata
 * call is a round trip, this trade would go the other way.)
 */
import {
  closeSync,
  constants,
  fdatasync,
  fstatSync,
  mkdirSync,
  openSync,
  renameSync,
  type Stats,
  statSync,
  writeSync,
} from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import {
  checkPath,
  type FileInfo,
  type FileWriter,
  InvalidOffsetError,
  InvalidPathError,
  isPathNotFound,
  isValidPath,
  PathNotFoundError,
  type PutOptions,
  SkipDir,
  type StorageDriver,
  type WalkFn,
} from "./driver.ts";
import { ThreadPoolWriter } from "./poolwriter.ts";

const driverName = "filesystem";
/**
 * Writers put each batch at its own offset, so they open without O_APPEND (Linux appends a
 * pwrite to an O_APPEND file wherever it was aimed) and start at the size they find.
 */
const appendFlags = constants.O_WRONLY | constants.O_CREAT;
const truncateFlags = appendFlags | constants.O_TRUNC;
const temporaryPattern = /^\..+\.tmp-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Errors that mean "nothing there": a missing entry, or a file where a directory should be. */
const missingCodes = ["ENOENT", "ENOTDIR"];

export interface FilesystemDriverOptions {
  readonly rootdirectory: string;
}

export class FilesystemDriver implements StorageDriver {
  readonly name = driverName;
  readonly root: string;
  /** Closes the descriptor of a reader or writer that was dropped unfinished (a caller's bug). */
  private readonly dropped = new FinalizationRegistry<number>((fd) => {
    try {
      closeSync(fd);
    } catch {
      // The descriptor is gone already; there is nothing left to release.
    }
  });

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
      throw translate(err, path, "EISDIR");
    }
  }

  async putContent(
    path: string,
    content: Uint8Array | string,
    options?: PutOptions,
  ): Promise<void> {
    const full = this.filePath(path);
    const sync = options?.durable ?? true;
    if (!sync && (await this.writtenIntoNewFolder(path, full, content))) return;
    const temporary = temporarySibling(full);
    try {
      await creatingParents(full, () => writeNew(temporary, content, sync));
      renameSync(temporary, full);
    } catch (err) {
      await rm(temporary, { force: true }).catch(() => undefined);
      throw translate(err, path);
    }
  }

  /**
   * A file whose folder this call creates has no old content to keep and no reader yet, so it
   * is written in place, without a temporary file and a rename. False when the folder was there
   * already (or another writer got in first): the caller replaces the file atomically.
   */
  private async writtenIntoNewFolder(
    path: string,
    full: string,
    content: Uint8Array | string,
  ): Promise<boolean> {
    try {
      if (mkdirSync(dirname(full), { recursive: true }) === undefined) return false;
      await writeNew(full, content, false);
      return true;
    } catch (err) {
      if (errorCode(err) === "EEXIST") return false;
      throw translate(err, path);
    }
  }

  /** Streams from a descriptor opened up front: a later delete or move cannot break the read. */
  async reader(path: string, offset = 0): Promise<ReadableStream<Uint8Array>> {
    const full = this.fullPath(path);
    let file: Descriptor;
    try {
      file = this.open(full, "r");
    } catch (err) {
      throw translate(err, path);
    }
    try {
      const info = fstatSync(file.fd);
      if (info.isDirectory()) throw new PathNotFoundError(path, driverName);
      if (!Number.isSafeInteger(offset) || offset < 0 || offset > info.size)
        throw new InvalidOffsetError(path, offset, driverName);
      return closedAtEnd(Bun.file(file.fd).slice(offset).stream(), file);
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  async writer(path: string, append: boolean): Promise<FileWriter> {
    const full = this.filePath(path);
    let file: Descriptor | undefined;
    try {
      file = await this.openCreatingParents(full, append ? appendFlags : truncateFlags);
      const opened = fstatSync(file.fd);
      const removeOwnFile = () => removeIfSameFile(full, opened);
      const syncBehind = () => syncInBackground(full);
      return new ThreadPoolWriter(file, opened.size, removeOwnFile, syncBehind, driverName);
    } catch (err) {
      await file?.close();
      throw translate(err, path);
    }
  }

  async stat(path: string): Promise<FileInfo> {
    const full = this.fullPath(path);
    try {
      return fileInfo(path, statSync(full));
    } catch (err) {
      throw translate(err, path);
    }
  }

  /**
   * Leaves out `putContent`'s temporary files and names no driver path can spell (such as a
   * mount point's `lost+found`), so walking a root never trips on them.
   */
  async list(path: string): Promise<string[]> {
    const full = this.fullPath(path);
    let names: string[];
    try {
      names = await readdir(full);
    } catch (err) {
      throw translate(err, path);
    }
    const prefix = path === "/" ? "" : path;
    return names
      .filter((name) => !temporaryPattern.test(name))
      .map((name) => `${prefix}/${name}`)
      .filter(isValidPath)
      .sort();
  }

  async move(sourcePath: string, destPath: string): Promise<void> {
    const source = this.filePath(sourcePath);
    const dest = this.filePath(destPath);
    // Usually the source exists and the target's folder too: one rename does it.
    try {
      return renameSync(source, dest);
    } catch (err) {
      if (errorCode(err) !== "ENOENT") throw translate(err, sourcePath);
    }
    await this.stat(sourcePath);
    try {
      mkdirSync(dirname(dest), { recursive: true });
    } catch (err) {
      throw translate(err, destPath);
    }
    try {
      renameSync(source, dest);
    } catch (err) {
      throw translate(err, sourcePath);
    }
  }

  async delete(path: string): Promise<void> {
    const full = this.fullPath(path);
    await this.stat(path);
    // The root itself stays: it may be a mount point or a directory the operator created.
    const doomed = path === "/" ? (await readdir(full)).map((name) => join(full, name)) : [full];
    for (const entry of doomed) await rm(entry, { recursive: true, force: true });
  }

  async walk(path: string, fn: WalkFn): Promise<void> {
    await this.walkChildren(await this.list(path), fn);
  }

  async blob(path: string): Promise<Blob> {
    const info = await this.stat(path);
    if (info.isDir) throw new PathNotFoundError(path, driverName);
    return Bun.file(this.fullPath(path));
  }

  /** Entries that vanish while the walk runs (a callback deleted them) are passed over. */
  private async walkChildren(children: string[], fn: WalkFn): Promise<void> {
    for (const child of children) {
      const info = await this.stat(child).catch(ignoreMissing);
      if (!info) continue;
      if ((await fn(info)) === SkipDir || !info.isDir) continue;
      const grandchildren = await this.list(child).catch(ignoreMissing);
      if (grandchildren) await this.walkChildren(grandchildren, fn);
    }
  }

  private open(full: string, flags: "r" | number): Descriptor {
    return new Descriptor(openSync(full, flags), this.dropped);
  }

  private openCreatingParents(full: string, flags: number): Promise<Descriptor> {
    return creatingParents(full, () => this.open(full, flags));
  }

  /** A path that can name a file: valid, and not the root directory. */
  private filePath(path: string): string {
    const full = this.fullPath(path);
    if (path === "/") throw new InvalidPathError(path, driverName);
    return full;
  }
}

const fdatasyncAsync = promisify(fdatasync);

/**
 * A plain descriptor rather than a `FileHandle`, which Bun turns into an uncaught error when one
 * is collected unclosed. Closed once: by `close`, or by the registry if its owner drops it.
 */
class Descriptor {
  private closing: Promise<void> | undefined;

  constructor(
    readonly fd: number,
    private readonly dropped: FinalizationRegistry<number>,
  ) {
    dropped.register(this, fd, this);
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.dropped.unregister(this);
      try {
        closeSync(this.fd);
        this.closing = Promise.resolve();
      } catch (err) {
        this.closing = Promise.reject(err);
      }
    }
    return this.closing;
  }
}

/**
 * Runs a step that creates `full`. Parent folders usually exist already, so the step is tried
 * first and they are made only when it fails for want of them.
 */
async function creatingParents<T>(full: string, create: () => T | Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (err) {
    if (errorCode(err) !== "ENOENT") throw err;
  }
  mkdirSync(dirname(full), { recursive: true });
  return create();
}

const errorCode = (err: unknown): unknown =>
  typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;

function translate(err: unknown, path: string, ...alsoMissing: string[]): unknown {
  const code = errorCode(err);
  const missing = typeof code === "string" && [...missingCodes, ...alsoMissing].includes(code);
  return missing ? new PathNotFoundError(path, driverName) : err;
}

function ignoreMissing(err: unknown): undefined {
  if (isPathNotFound(err)) return undefined;
  throw err;
}

function fileInfo(path: string, info: Stats): FileInfo {
  const isDir = info.isDirectory();
  return { path, size: isDir ? 0 : info.size, modTime: info.mtime, isDir };
}

const temporarySibling = (full: string): string =>
  join(dirname(full), `.${basename(full)}.tmp-${crypto.randomUUID()}`);

/** A small file written inline; only the sync, which waits on the device, goes to the pool. */
async function writeNew(file: string, content: Uint8Array | string, sync: boolean): Promise<void> {
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
  const fd = openSync(file, "wx");
  try {
    writeAllInline(fd, bytes);
    if (sync) await fdatasyncAsync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeAllInline(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset);
}

/**
 * Writes back what a file holds so far, through a descriptor of its own; never fails, since the
 * writer's own sync reports any error. A file moved or removed meanwhile is synced or skipped.
 */
async function syncInBackground(full: string): Promise<void> {
  let fd: number;
  try {
    fd = openSync(full, "r");
  } catch {
    return;
  }
  try {
    await fdatasyncAsync(fd);
  } catch {
    // Reported again to the writer's descriptor, whose sync at commit throws it.
  } finally {
    closeSync(fd);
  }
}

function statOrUndefined(full: string): Stats | undefined {
  try {
    return statSync(full);
  } catch {
    return undefined;
  }
}

/** Removes the file a writer opened, not one that `putContent` or `move` put there since. */
async function removeIfSameFile(full: string, opened: Stats): Promise<void> {
  const current = statOrUndefined(full);
  if (current?.ino === opened.ino && current.dev === opened.dev) await rm(full, { force: true });
}

/** Passes a stream through and closes the file once it ends, fails or is cancelled. */
function closedAtEnd(
  source: ReadableStream<Uint8Array>,
  file: Descriptor,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (!done) return controller.enqueue(value);
          await file.close();
          controller.close();
        } catch (err) {
          await file.close().catch(() => undefined);
          controller.error(err);
        }
      },
      async cancel(reason) {
        try {
          await reader.cancel(reason);
        } finally {
          await file.close();
        }
      },
    },
    { highWaterMark: 0 },
  );
}
