/**
 * The `s3` driver on Bun.S3Client (AWS S3, MinIO, Ceph RGW, R2, s3rver). Driver path `/a/b` is
 * key `<rootdirectory>/a/b`; directories are key prefixes, as in Distribution's s3 driver.
 *
 * Writers stage their bytes in a local temporary file and upload it whole on flush, commit and
 * close (S3 has no append): an append first downloads what the key holds. Chunked uploads thus
 * move each earlier chunk again per PATCH; single-request pushes, the common case, upload once.
 * `move` is a copy then a delete. Blob GETs are answered by presigned redirects.
 */
import { type FileHandle, mkdir, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  checkPath,
  type FileInfo,
  type FileWriter,
  InvalidOffsetError,
  InvalidPathError,
  PathNotFoundError,
  type RedirectingDriver,
  SkipDir,
  type WalkFn,
} from "./driver.ts";

const driverName = "s3";

export interface S3DriverOptions {
  readonly accesskey?: string;
  readonly secretkey?: string;
  readonly region?: string;
  readonly regionendpoint?: string;
  readonly bucket: string;
  readonly rootdirectory?: string;
  readonly forcepathstyle?: boolean;
  readonly secure?: boolean;
  /** Multipart part size for uploads, at least 5 MiB. */
  readonly chunksize?: number;
  readonly storageclass?: string;
  readonly sessiontoken?: string;
  /** Where writers stage bytes before uploading them. */
  readonly stagingDirectory?: string;
  /** Lifetime of presigned blob URLs, in seconds. */
  readonly redirectSeconds?: number;
}

const isNoSuchKey = (err: unknown): boolean => {
  const e = err as { code?: string; name?: string; message?: string };
  return (
    e?.code === "NoSuchKey" ||
    e?.code === "NotFound" ||
    /does not exist|not found/i.test(e?.message ?? "")
  );
};

const retriableCodes = new Set([
  "InternalError",
  "SlowDown",
  "ServiceUnavailable",
  "RequestTimeout",
  "ECONNRESET",
  "UNKNOWN_ERROR",
]);

/**
 * Retries what S3 asks clients to retry (InternalError, SlowDown, 503, dropped connections),
 * with exponential backoff, as the AWS SDKs do.
 */
async function withRetries<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const e = err as { code?: string; message?: string };
      const retriable =
        retriableCodes.has(e?.code ?? "") ||
        /internal error|unexpected error|socket|connection/i.test(e?.message ?? "");
      if (!retriable || attempt >= attempts) throw err;
      await Bun.sleep(25 * 2 ** attempt);
    }
  }
}

export class S3Driver implements RedirectingDriver {
  readonly name = driverName;
  private readonly client: Bun.S3Client;
  private readonly prefix: string;
  private readonly staging: string;

  constructor(private readonly options: S3DriverOptions) {
    const endpoint = options.regionendpoint
      ? /^https?:\/\//.test(options.regionendpoint)
        ? options.regionendpoint
        : `${options.secure === false ? "http" : "https"}://${options.regionendpoint}`
      : undefined;
    this.client = new Bun.S3Client({
      accessKeyId: options.accesskey || process.env.AWS_ACCESS_KEY_ID,
      secretAccessKey: options.secretkey || process.env.AWS_SECRET_ACCESS_KEY,
      sessionToken: options.sessiontoken || process.env.AWS_SESSION_TOKEN,
      region: options.region || process.env.AWS_REGION || "us-east-1",
      bucket: options.bucket,
      endpoint,
      virtualHostedStyle: options.forcepathstyle === false,
    });
    const root = (options.rootdirectory ?? "").replace(/^\/+|\/+$/g, "");
    this.prefix = root ? `${root}/` : "";
    this.staging = options.stagingDirectory ?? join(tmpdir(), "skiff-s3-staging");
  }

  private key(path: string): string {
    checkPath(path, driverName);
    return path === "/" ? this.prefix : `${this.prefix}${path.slice(1)}`;
  }

  private fileKey(path: string): string {
    if (path === "/") throw new InvalidPathError(path, driverName);
    return this.key(path);
  }

  private pathOf(key: string): string {
    return `/${key.slice(this.prefix.length).replace(/\/$/, "")}`;
  }

  async getContent(path: string): Promise<Uint8Array> {
    const key = this.fileKey(path);
    try {
      return await withRetries(() => this.client.file(key).bytes());
    } catch (err) {
      throw isNoSuchKey(err) ? new PathNotFoundError(path, driverName) : err;
    }
  }

  async putContent(path: string, content: Uint8Array | string): Promise<void> {
    const key = this.fileKey(path);
    await withRetries(() => this.client.write(key, content, this.writeOptions()));
  }

  async reader(path: string, offset = 0): Promise<ReadableStream<Uint8Array>> {
    const info = await this.stat(path);
    if (info.isDir) throw new PathNotFoundError(path, driverName);
    if (offset < 0 || offset > info.size) throw new InvalidOffsetError(path, offset, driverName);
    if (offset === info.size) return new Blob([]).stream();
    return this.client.file(this.key(path)).slice(offset).stream();
  }

  async writer(path: string, append: boolean): Promise<FileWriter> {
    const key = this.fileKey(path);
    await mkdir(this.staging, { recursive: true });
    const existing = await this.objectStat(key);
    return new StagedWriter({
      client: this.client,
      key,
      append,
      existing,
      staging: this.staging,
      writeOptions: this.writeOptions(),
    });
  }

  async stat(path: string): Promise<FileInfo> {
    const key = this.key(path);
    if (path !== "/") {
      const object = await this.objectStat(key);
      if (object) return { path, size: object.size, modTime: object.lastModified, isDir: false };
    }
    // One page is enough to know; (s3rver fails max-keys=1 listings that would be truncated).
    const listed = await withRetries(() =>
      this.client.list({ prefix: path === "/" ? this.prefix : `${key}/` }),
    );
    if ((listed.contents?.length ?? 0) > 0)
      return { path, size: 0, modTime: new Date(0), isDir: true };
    throw new PathNotFoundError(path, driverName);
  }

  /**
   * Direct children, derived from a full listing below the prefix: delimiter listings are not
   * reliable on every S3 implementation (s3rver drops deeper common prefixes).
   */
  async list(path: string): Promise<string[]> {
    const key = this.key(path);
    const prefix = path === "/" ? this.prefix : `${key}/`;
    const children = new Set<string>();
    for (const { key: child } of await this.allObjects(prefix)) {
      const slash = child.indexOf("/", prefix.length);
      children.add(this.pathOf(slash === -1 ? child : child.slice(0, slash)));
    }
    if (children.size === 0) throw new PathNotFoundError(path, driverName);
    return [...children].sort();
  }

  async move(sourcePath: string, destPath: string): Promise<void> {
    const source = this.fileKey(sourcePath);
    const dest = this.fileKey(destPath);
    if (!(await this.objectStat(source))) throw new PathNotFoundError(sourcePath, driverName);
    await withRetries(() => this.client.write(dest, this.client.file(source), this.writeOptions()));
    await withRetries(() => this.client.delete(source));
  }

  async delete(path: string): Promise<void> {
    const key = this.key(path);
    let found = false;
    if (path !== "/" && (await this.objectStat(key))) {
      await withRetries(() => this.client.delete(key));
      found = true;
    }
    for (const child of await this.allObjects(path === "/" ? this.prefix : `${key}/`)) {
      await withRetries(() => this.client.delete(child.key));
      found = true;
    }
    if (!found) throw new PathNotFoundError(path, driverName);
  }

  async walk(path: string, fn: WalkFn): Promise<void> {
    const info = await this.stat(path);
    if (!info.isDir) throw new PathNotFoundError(path, driverName);
    const objects = await this.allObjects(path === "/" ? this.prefix : `${this.key(path)}/`);
    const files = new Map<string, number>();
    const dirs = new Set<string>();
    const base = path === "/" ? "" : path;
    for (const { key, size } of objects) {
      const file = this.pathOf(key);
      files.set(file, size);
      for (let i = file.indexOf("/", base.length + 1); i > 0; i = file.indexOf("/", i + 1))
        dirs.add(file.slice(0, i));
    }
    const entries = [...dirs, ...files.keys()].sort();
    const skipped: string[] = [];
    for (const entry of entries) {
      if (skipped.some((dir) => entry.startsWith(`${dir}/`))) continue;
      const isDir = dirs.has(entry);
      const result = await fn({
        path: entry,
        size: isDir ? 0 : (files.get(entry) ?? 0),
        modTime: new Date(0),
        isDir,
      });
      if (isDir && result === SkipDir) skipped.push(entry);
    }
  }

  /** A sized view of the object. (As a Response body, Bun answers it with a redirect.) */
  async blob(path: string): Promise<Blob> {
    const info = await this.stat(path);
    if (info.isDir) throw new PathNotFoundError(path, driverName);
    return this.client.file(this.key(path)).slice(0, info.size);
  }

  async redirectURL(path: string, method: "GET" | "HEAD"): Promise<string | undefined> {
    return this.client.presign(this.fileKey(path), {
      method,
      expiresIn: this.options.redirectSeconds ?? 1200,
    });
  }

  /** Every object below a prefix, with its size, page by page. */
  private async allObjects(prefix: string): Promise<{ key: string; size: number }[]> {
    const objects: { key: string; size: number }[] = [];
    let continuationToken: string | undefined;
    do {
      const token = continuationToken;
      const page = await withRetries(() => this.client.list({ prefix, continuationToken: token }));
      for (const item of page.contents ?? []) objects.push({ key: item.key, size: item.size ?? 0 });
      continuationToken = page.isTruncated ? page.nextContinuationToken : undefined;
    } while (continuationToken);
    return objects;
  }

  private async objectStat(
    key: string,
  ): Promise<{ size: number; lastModified: Date; etag: string } | undefined> {
    try {
      const stat = await withRetries(() => this.client.stat(key));
      return { size: stat.size, lastModified: stat.lastModified, etag: stat.etag };
    } catch (err) {
      if (isNoSuchKey(err)) return undefined;
      throw err;
    }
  }

  private writeOptions(): Bun.S3Options {
    return {
      partSize: Math.max(5 * 1024 * 1024, this.options.chunksize ?? 10 * 1024 * 1024),
      ...(this.options.storageclass
        ? { storageClass: this.options.storageclass as Bun.S3Options["storageClass"] }
        : {}),
    };
  }
}

interface StagedWriterOptions {
  readonly client: Bun.S3Client;
  readonly key: string;
  readonly append: boolean;
  readonly existing?: { size: number; etag: string };
  readonly staging: string;
  readonly writeOptions: Bun.S3Options;
}

interface Staging {
  readonly file: string;
  readonly handle: FileHandle;
  readonly sink: Bun.FileSink;
}

/**
 * Bytes staged in a local file, uploaded whole when flushed; see the note at the top. The
 * staging file is made at the first write: a writer opened only to commit or to learn the
 * size never downloads the object it would append to.
 */
class StagedWriter implements FileWriter {
  private state: "open" | "committed" | "closed" | "cancelled" = "open";
  private dirty: boolean;
  private staging?: Promise<Staging>;
  private bytes: number;
  /** The ETag the key had when we last knew it was ours (to cancel only our own object). */
  private ownEtag?: string;

  constructor(private readonly options: StagedWriterOptions) {
    const appending = options.append && options.existing !== undefined;
    this.bytes = appending ? (options.existing?.size ?? 0) : 0;
    // A new or truncated object must be written even if no bytes follow.
    this.dirty = !appending;
    this.ownEtag = options.existing?.etag;
  }

  get size(): number {
    return this.bytes;
  }

  private assertOpen(action: string): void {
    if (this.state !== "open")
      throw new Error(`${driverName}: ${action} on a ${this.state} writer`);
  }

  private stage(): Promise<Staging> {
    this.staging ??= (async () => {
      const { options } = this;
      const file = join(options.staging, crypto.randomUUID());
      if (options.append && options.existing)
        await Bun.write(file, options.client.file(options.key));
      else await Bun.write(file, "");
      const handle = await open(file, "a");
      return { file, handle, sink: Bun.file(handle.fd).writer() };
    })();
    return this.staging;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.assertOpen("write");
    (await this.stage()).sink.write(chunk);
    this.bytes += chunk.byteLength;
    this.dirty = true;
  }

  async flush(): Promise<void> {
    this.assertOpen("flush");
    await this.upload();
  }

  async commit(): Promise<void> {
    this.assertOpen("commit");
    await this.upload();
    this.state = "committed";
  }

  async close(): Promise<void> {
    if (this.state === "closed" || this.state === "cancelled") return;
    if (this.state === "open") await this.upload();
    this.state = "closed";
    await this.release();
  }

  async cancel(): Promise<void> {
    if (this.state === "cancelled") return;
    const wasReleased = this.state === "closed";
    this.state = "cancelled";
    if (!wasReleased) await this.release();
    const { client, key } = this.options;
    const current = await client.stat(key).catch(() => undefined);
    if (current && current.etag === this.ownEtag) await client.delete(key);
  }

  private async release(): Promise<void> {
    const staging = await this.staging?.catch(() => undefined);
    if (!staging) return;
    await staging.sink.end();
    await staging.handle.close();
    await rm(staging.file, { force: true });
  }

  private async upload(): Promise<void> {
    if (!this.dirty) return;
    const staging = await this.stage();
    await staging.sink.flush();
    const { client, key, writeOptions } = this.options;
    await withRetries(() => client.write(key, Bun.file(staging.file), writeOptions));
    this.ownEtag = (await withRetries(() => client.stat(key))).etag;
    this.dirty = false;
  }
}
