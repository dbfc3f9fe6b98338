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

const driverName = "inmemory";

interface MemoryFile {
  /** Chunks appended since the last read; joined lazily so appends never copy the whole file. */
  chunks: Uint8Array[];
  size: number;
  modTime: Date;
}

/**
 * A driver that keeps files in a map of paths; directories are implied by the files below
 * them. For tests and for `storage.inmemory` (data is gone when the process ends).
 */
export class InMemoryDriver implements StorageDriver {
  readonly name = driverName;
  private readonly files = new Map<string, MemoryFile>();

  async getContent(path: string): Promise<Uint8Array> {
    return this.contentOf(this.file(path)).slice();
  }

  async putContent(path: string, content: Uint8Array | string): Promise<void> {
    checkPath(path, driverName);
    this.assertNotDirectory(path);
    const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content.slice();
    this.files.set(path, { chunks: [bytes], size: bytes.byteLength, modTime: new Date() });
  }

  async reader(path: string, offset = 0): Promise<ReadableStream<Uint8Array>> {
    const content = this.contentOf(this.file(path));
    if (offset < 0 || offset > content.byteLength)
      throw new InvalidOffsetError(path, offset, driverName);
    return new Blob([content.slice(offset)]).stream();
  }

  async writer(path: string, append: boolean): Promise<FileWriter> {
    checkPath(path, driverName);
    this.assertNotDirectory(path);
    let file = this.files.get(path);
    if (!file || !append) {
      file = { chunks: [], size: 0, modTime: new Date() };
      this.files.set(path, file);
    }
    return new MemoryWriter(file, () => this.files.delete(path));
  }

  async stat(path: string): Promise<FileInfo> {
    checkPath(path, driverName);
    const file = this.files.get(path);
    if (file) return { path, size: file.size, modTime: file.modTime, isDir: false };
    if (this.hasChildren(path)) return { path, size: 0, modTime: new Date(0), isDir: true };
    throw new PathNotFoundError(path, driverName);
  }

  async list(path: string): Promise<string[]> {
    checkPath(path, driverName);
    const prefix = path === "/" ? "/" : `${path}/`;
    const children = new Set<string>();
    for (const key of this.files.keys()) {
      if (!key.startsWith(prefix)) continue;
      const slash = key.indexOf("/", prefix.length);
      children.add(slash === -1 ? key : key.slice(0, slash));
    }
    if (children.size === 0 && !(path === "/")) throw new PathNotFoundError(path, driverName);
    return [...children].sort();
  }

  async move(sourcePath: string, destPath: string): Promise<void> {
    checkPath(sourcePath, driverName);
    checkPath(destPath, driverName);
    const file = this.files.get(sourcePath);
    if (!file) throw new PathNotFoundError(sourcePath, driverName);
    this.assertNotDirectory(destPath);
    this.files.delete(sourcePath);
    this.files.set(destPath, file);
  }

  async delete(path: string): Promise<void> {
    checkPath(path, driverName);
    if (this.files.delete(path)) return;
    const prefix = path === "/" ? "/" : `${path}/`;
    const doomed = [...this.files.keys()].filter((key) => key.startsWith(prefix));
    if (doomed.length === 0) throw new PathNotFoundError(path, driverName);
    for (const key of doomed) this.files.delete(key);
  }

  async walk(path: string, fn: WalkFn): Promise<void> {
    for (const child of await this.list(path)) {
      const info = await this.stat(child);
      const result = await fn(info);
      if (info.isDir && result !== SkipDir) await this.walk(child, fn);
    }
  }

  async blob(path: string): Promise<Blob> {
    return new Blob([this.contentOf(this.file(path))]);
  }

  private file(path: string): MemoryFile {
    checkPath(path, driverName);
    const file = this.files.get(path);
    if (!file) throw new PathNotFoundError(path, driverName);
    return file;
  }

  private contentOf(file: MemoryFile): Uint8Array<ArrayBuffer> {
    if (file.chunks.length !== 1) file.chunks = [Buffer.concat(file.chunks, file.size)];
    return file.chunks[0] as Uint8Array<ArrayBuffer>;
  }

  private hasChildren(path: string): boolean {
    const prefix = path === "/" ? "/" : `${path}/`;
    for (const key of this.files.keys()) if (key.startsWith(prefix)) return true;
    return false;
  }

  /** A file cannot replace a directory, as on a real filesystem. */
  private assertNotDirectory(path: string): void {
    if (!this.files.has(path) && this.hasChildren(path))
      throw new Error(`${driverName}: ${path} is a directory`);
  }
}

class MemoryWriter implements FileWriter {
  private state: "open" | "committed" | "closed" | "cancelled" = "open";

  constructor(
    private readonly file: MemoryFile,
    private readonly remove: () => void,
  ) {}

  get size(): number {
    return this.file.size;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.state !== "open") throw new Error(`${driverName}: write on a ${this.state} writer`);
    this.file.chunks.push(chunk.slice());
    this.file.size += chunk.byteLength;
    this.file.modTime = new Date();
  }

  /** Appends are visible at once; nothing is buffered. */
  async flush(): Promise<void> {
    if (this.state !== "open") throw new Error(`${driverName}: flush on a ${this.state} writer`);
  }

  async close(): Promise<void> {
    if (this.state === "open" || this.state === "committed") this.state = "closed";
  }

  async cancel(): Promise<void> {
    this.state = "cancelled";
    this.remove();
  }

  async commit(): Promise<void> {
    if (this.state !== "open") throw new Error(`${driverName}: commit on a ${this.state} writer`);
    this.state = "committed";
  }
}
