/**
 * A driver that keeps a tree of directories and files in memory, with the filesystem driver's
 * semantics: parents are created implicitly, directories stay when they become empty, a file
 * where a directory is expected reads as missing. For tests and `storage.inmemory` (data is gone
 * when the process ends).
 */
import {
  checkPath,
  type FileInfo,
  type FileWriter,
  InvalidOffsetError,
  InvalidPathError,
  PathNotFoundError,
  SkipDir,
  type StorageDriver,
  type WalkFn,
} from "./driver.ts";

const driverName = "inmemory";
/** Size of the chunks `reader` streams, like a file read. */
const streamChunkBytes = 64 * 1024;
const minimumCapacity = 4 * 1024;

/**
 * File bytes in a buffer grown geometrically, so appends cost amortised O(chunk). Bytes below
 * `size` never change once written (a truncating writer makes a new file), so a view of them is
 * a stable snapshot; views are copied before they leave the driver.
 */
class MemoryFile {
  readonly kind = "file";
  modTime = new Date();
  private buffer: Uint8Array<ArrayBuffer>;
  private length: number;

  /** Takes ownership of `content`. */
  constructor(content: Uint8Array<ArrayBuffer> = new Uint8Array(0)) {
    this.buffer = content;
    this.length = content.byteLength;
  }

  get size(): number {
    return this.length;
  }

  view(): Uint8Array<ArrayBuffer> {
    return this.buffer.subarray(0, this.length);
  }

  append(chunk: Uint8Array): void {
    const needed = this.length + chunk.byteLength;
    if (needed > this.buffer.byteLength) {
      const capacity = Math.max(needed, this.buffer.byteLength * 2, minimumCapacity);
      const grown = new Uint8Array(capacity);
      grown.set(this.view());
      this.buffer = grown;
    }
    this.buffer.set(chunk, this.length);
    this.length = needed;
    this.modTime = new Date();
  }
}

class MemoryDirectory {
  readonly kind = "directory";
  readonly children = new Map<string, MemoryNode>();
  modTime = new Date();
}

type MemoryNode = MemoryFile | MemoryDirectory;

export class InMemoryDriver implements StorageDriver {
  readonly name = driverName;
  private readonly root = new MemoryDirectory();

  async getContent(path: string): Promise<Uint8Array> {
    return this.file(path).view().slice();
  }

  async putContent(path: string, content: Uint8Array | string): Promise<void> {
    checkFilePath(path);
    const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content.slice();
    this.place(path, new MemoryFile(bytes));
  }

  async reader(path: string, offset = 0): Promise<ReadableStream<Uint8Array>> {
    const file = this.file(path);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > file.size)
      throw new InvalidOffsetError(path, offset, driverName);
    return chunkedStream(file.view().subarray(offset));
  }

  async writer(path: string, append: boolean): Promise<FileWriter> {
    checkFilePath(path);
    const existing = this.lookup(path);
    let file: MemoryFile;
    if (append && existing?.kind === "file") file = existing;
    else {
      file = new MemoryFile();
      this.place(path, file);
    }
    return new MemoryWriter(file, () => this.detach(path, file));
  }

  async stat(path: string): Promise<FileInfo> {
    const node = this.lookup(path);
    if (!node) throw new PathNotFoundError(path, driverName);
    return infoOf(path, node);
  }

  async list(path: string): Promise<string[]> {
    const directory = this.directory(path);
    return [...directory.children.keys()].sort().map((name) => childPath(path, name));
  }

  async move(sourcePath: string, destPath: string): Promise<void> {
    checkFilePath(sourcePath);
    checkFilePath(destPath);
    const node = this.lookup(sourcePath);
    if (!node) throw new PathNotFoundError(sourcePath, driverName);
    if (sourcePath === destPath) return;
    if (node.kind === "directory" && destPath.startsWith(`${sourcePath}/`))
      throw new Error(`${driverName}: cannot move ${sourcePath} into itself`);
    const replaced = this.lookup(destPath);
    if (replaced && replaced.kind !== node.kind)
      throw new Error(`${driverName}: cannot replace a ${replaced.kind} with a ${node.kind}`);
    if (replaced?.kind === "directory" && replaced.children.size > 0)
      throw new Error(`${driverName}: ${destPath} is a directory that is not empty`);
    this.place(destPath, node, true);
    this.detach(sourcePath, node);
  }

  async delete(path: string): Promise<void> {
    const node = this.lookup(path);
    if (!node) throw new PathNotFoundError(path, driverName);
    if (node === this.root) this.root.children.clear();
    else this.detach(path, node);
  }

  async walk(path: string, fn: WalkFn): Promise<void> {
    await walkDirectory(path, this.directory(path), fn);
  }

  async blob(path: string): Promise<Blob> {
    return new Blob([this.file(path).view()]);
  }

  /** The node at a path; undefined when a component is missing or is a file. */
  private lookup(path: string): MemoryNode | undefined {
    checkPath(path, driverName);
    let node: MemoryNode = this.root;
    for (const name of components(path)) {
      if (node.kind !== "directory") return undefined;
      const child = node.children.get(name);
      if (!child) return undefined;
      node = child;
    }
    return node;
  }

  private file(path: string): MemoryFile {
    const node = this.lookup(path);
    if (node?.kind !== "file") throw new PathNotFoundError(path, driverName);
    return node;
  }

  private directory(path: string): MemoryDirectory {
    const node = this.lookup(path);
    if (node?.kind !== "directory") throw new PathNotFoundError(path, driverName);
    return node;
  }

  /**
   * Puts a node at a path, creating parent directories. Only `move` may replace a directory (an
   * empty one, as rename(2) does); a file under a file is PathNotFoundError, like ENOTDIR.
   */
  private place(path: string, node: MemoryNode, replaceEmptyDirectory = false): void {
    const names = components(path);
    const name = names.pop() as string;
    let parent = this.root;
    for (const component of names) {
      let child = parent.children.get(component);
      if (!child) {
        child = new MemoryDirectory();
        parent.children.set(component, child);
        parent.modTime = new Date();
      }
      if (child.kind !== "directory") throw new PathNotFoundError(path, driverName);
      parent = child;
    }
    if (parent.children.get(name)?.kind === "directory" && !replaceEmptyDirectory)
      throw new Error(`${driverName}: ${path} is a directory`);
    parent.children.set(name, node);
    parent.modTime = new Date();
  }

  /** Unlinks `node` from `path` if it is still there (it may have been replaced since). */
  private detach(path: string, node: MemoryNode): void {
    const parentPath = path.slice(0, path.lastIndexOf("/")) || "/";
    const parent = this.lookup(parentPath);
    const name = path.slice(path.lastIndexOf("/") + 1);
    if (parent?.kind !== "directory" || parent.children.get(name) !== node) return;
    parent.children.delete(name);
    parent.modTime = new Date();
  }
}

function checkFilePath(path: string): void {
  checkPath(path, driverName);
  if (path === "/") throw new InvalidPathError(path, driverName);
}

const components = (path: string): string[] => (path === "/" ? [] : path.slice(1).split("/"));

const childPath = (parent: string, name: string): string =>
  parent === "/" ? `/${name}` : `${parent}/${name}`;

function infoOf(path: string, node: MemoryNode): FileInfo {
  const isDir = node.kind === "directory";
  return { path, size: isDir ? 0 : node.size, modTime: node.modTime, isDir };
}

/** Depth first in lexical order; children a callback removed are passed over. */
async function walkDirectory(path: string, directory: MemoryDirectory, fn: WalkFn): Promise<void> {
  for (const name of [...directory.children.keys()].sort()) {
    const node = directory.children.get(name);
    if (!node) continue;
    const child = childPath(path, name);
    if ((await fn(infoOf(child, node))) === SkipDir || node.kind !== "directory") continue;
    if (directory.children.get(name) === node) await walkDirectory(child, node, fn);
  }
}

/** Streams a snapshot in copied chunks, so no reader can touch the driver's buffer. */
function chunkedStream(content: Uint8Array): ReadableStream<Uint8Array> {
  let position = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (position >= content.byteLength) return controller.close();
        const end = Math.min(position + streamChunkBytes, content.byteLength);
        controller.enqueue(content.slice(position, end));
        position = end;
      },
    },
    { highWaterMark: 0 },
  );
}

type WriterState = "open" | "committed" | "closed" | "cancelled";

class MemoryWriter implements FileWriter {
  private state: WriterState = "open";
  private written: number;

  constructor(
    private readonly file: MemoryFile,
    private readonly remove: () => void,
  ) {
    this.written = file.size;
  }

  get size(): number {
    return this.written;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.assertOpen("write to");
    this.file.append(chunk);
    this.written += chunk.byteLength;
  }

  /** Appends are visible at once; nothing is buffered. */
  async flush(): Promise<void> {
    this.assertOpen("flush");
  }

  async commit(): Promise<void> {
    this.assertOpen("commit");
    this.state = "committed";
  }

  async close(): Promise<void> {
    if (this.state === "open" || this.state === "committed") this.state = "closed";
  }

  async cancel(): Promise<void> {
    if (this.state === "cancelled") return;
    this.state = "cancelled";
    this.remove();
  }

  private assertOpen(action: string): void {
    if (this.state !== "open")
      throw new Error(`${driverName}: cannot ${action} a ${this.state} writer`);
  }
}
