/**
 * The storage driver contract, modelled on Distribution's `storagedriver.StorageDriver`.
 * Paths are absolute, `/`-separated, made of `[A-Za-z0-9._-]` components; `.` and `..` are
 * rejected so no path can leave the driver's root.
 */
export interface FileInfo {
  readonly path: string;
  readonly size: number;
  readonly modTime: Date;
  readonly isDir: boolean;
}

/** An open file being written; data becomes durable at `commit`, disappears at `cancel`. */
export interface FileWriter {
  /** Bytes in the file, counting what existed before an append. */
  readonly size: number;
  /**
   * Appends `chunk`. A caller may reuse a small chunk (up to 64 KiB) once this resolves; a larger
   * one may still be read until the next `flush`, `commit` or `close`, and must not change.
   */
  write(chunk: Uint8Array): Promise<void>;
  /** Hands buffered bytes to the backend so readers of the path see them (no fsync). */
  flush(): Promise<void>;
  /** Flushes and releases the writer; the data stays and can be appended to later. */
  close(): Promise<void>;
  /** Removes everything written, including data that existed before an append. */
  cancel(): Promise<void>;
  /** Makes the written data durable; `close` must still be called. */
  commit(): Promise<void>;
}

/** What `walk` callbacks may answer: skip a directory's children. */
export const SkipDir = Symbol("SkipDir");
export type WalkResult = typeof SkipDir | undefined;
export type WalkFn = (info: FileInfo) => WalkResult | Promise<WalkResult>;

export interface PutOptions {
  /**
   * Whether the content must be on stable storage before it is put in place (default true).
   * Callers pass false only for content whose loss a reader tolerates: a content-addressed link,
   * checked against its path, or an upload's `startedat`, read leniently by the purger. After a
   * power cut such a file may be empty or torn, which reads as absent.
   */
  readonly durable?: boolean;
}

export interface StorageDriver {
  readonly name: string;
  getContent(path: string): Promise<Uint8Array>;
  /** Writes the whole content atomically: readers see the old content or the new, never a mix. */
  putContent(path: string, content: Uint8Array | string, options?: PutOptions): Promise<void>;
  /** A stream of the file's bytes from `offset`. */
  reader(path: string, offset?: number): Promise<ReadableStream<Uint8Array>>;
  writer(path: string, append: boolean): Promise<FileWriter>;
  stat(path: string): Promise<FileInfo>;
  /** Full paths of the direct children of a directory. */
  list(path: string): Promise<string[]>;
  /** Moves a file, replacing any file at the destination; atomic where the backend allows. */
  move(sourcePath: string, destPath: string): Promise<void>;
  /** Deletes a file or a directory and everything below it. */
  delete(path: string): Promise<void>;
  /** Visits every file and directory below `path`, in lexical order, depth first. */
  walk(path: string, fn: WalkFn): Promise<void>;
  /** A `Blob` view of a file for zero-copy responses (`Bun.file` on disk). */
  blob(path: string): Promise<Blob>;
}

/** Optional capability: the driver can hand out a URL that serves the file directly (S3). */
export interface RedirectingDriver extends StorageDriver {
  redirectURL(path: string, method: "GET" | "HEAD"): Promise<string | undefined>;
}

export class PathNotFoundError extends Error {
  constructor(
    readonly path: string,
    readonly driverName: string,
  ) {
    super(`${driverName}: path not found: ${path}`);
    this.name = "PathNotFoundError";
  }
}

export class InvalidPathError extends Error {
  constructor(
    readonly path: string,
    readonly driverName: string,
  ) {
    super(`${driverName}: invalid path: ${JSON.stringify(path.slice(0, 300))}`);
    this.name = "InvalidPathError";
  }
}

export class InvalidOffsetError extends Error {
  constructor(
    readonly path: string,
    readonly offset: number,
    readonly driverName: string,
  ) {
    super(`${driverName}: invalid offset ${offset} for ${path}`);
    this.name = "InvalidOffsetError";
  }
}

export const isPathNotFound = (err: unknown): err is PathNotFoundError =>
  err instanceof PathNotFoundError;

const slash = 0x2f;
const dot = 0x2e;

/** `[A-Za-z0-9._-]`, the characters a path component may hold. */
function isComponentChar(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) || // a-z
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x30 && code <= 0x39) || // 0-9
    code === dot ||
    code === 0x5f || // _
    code === 0x2d // -
  );
}

/**
 * True for `/` and for absolute paths whose components are all valid and not `.` or `..`.
 * One pass over the characters: every storage operation checks its path.
 */
export function isValidPath(path: string): boolean {
  if (path === "/") return true;
  if (path.charCodeAt(0) !== slash) return false;
  let start = 1;
  for (let i = 1; i <= path.length; i++) {
    const code = i === path.length ? slash : path.charCodeAt(i);
    if (code !== slash) {
      if (!isComponentChar(code)) return false;
      continue;
    }
    const length = i - start;
    if (length === 0) return false;
    if (
      length <= 2 &&
      path.charCodeAt(start) === dot &&
      (length === 1 || path.charCodeAt(start + 1) === dot)
    )
      return false;
    start = i + 1;
  }
  return true;
}

export function checkPath(path: string, driverName: string): void {
  if (!isValidPath(path)) throw new InvalidPathError(path, driverName);
}
