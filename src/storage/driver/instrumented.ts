import type {
  FileInfo,
  FileWriter,
  PutOptions,
  RedirectingDriver,
  StorageDriver,
  WalkFn,
} from "./driver.ts";

/** Distribution's action names for `registry_storage_action_seconds`. */
export type DriverAction =
  | "GetContent"
  | "PutContent"
  | "Stat"
  | "List"
  | "Move"
  | "Delete"
  | "Reader"
  | "Writer"
  | "Walk";

export type ActionObserver = (driver: string, action: DriverAction, seconds: number) => void;

/** Wraps a driver and reports how long each action takes; behaviour is unchanged. */
export class InstrumentedDriver implements StorageDriver {
  readonly name: string;

  /** Present when the wrapped driver can redirect (object storage). */
  readonly redirectURL?: RedirectingDriver["redirectURL"];

  constructor(
    private readonly inner: StorageDriver,
    private readonly observe: ActionObserver,
  ) {
    this.name = inner.name;
    const redirecting = inner as Partial<RedirectingDriver>;
    if (redirecting.redirectURL) this.redirectURL = redirecting.redirectURL.bind(inner);
  }

  private async timed<T>(action: DriverAction, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.observe(this.name, action, (performance.now() - start) / 1000);
    }
  }

  getContent(path: string): Promise<Uint8Array> {
    return this.timed("GetContent", () => this.inner.getContent(path));
  }
  putContent(path: string, content: Uint8Array | string, options?: PutOptions): Promise<void> {
    return this.timed("PutContent", () => this.inner.putContent(path, content, options));
  }
  reader(path: string, offset?: number): Promise<ReadableStream<Uint8Array>> {
    return this.timed("Reader", () => this.inner.reader(path, offset));
  }
  writer(path: string, append: boolean): Promise<FileWriter> {
    return this.timed("Writer", () => this.inner.writer(path, append));
  }
  stat(path: string): Promise<FileInfo> {
    return this.timed("Stat", () => this.inner.stat(path));
  }
  list(path: string): Promise<string[]> {
    return this.timed("List", () => this.inner.list(path));
  }
  move(sourcePath: string, destPath: string): Promise<void> {
    return this.timed("Move", () => this.inner.move(sourcePath, destPath));
  }
  delete(path: string): Promise<void> {
    return this.timed("Delete", () => this.inner.delete(path));
  }
  walk(path: string, fn: WalkFn): Promise<void> {
    return this.timed("Walk", () => this.inner.walk(path, fn));
  }
  blob(path: string): Promise<Blob> {
    return this.timed("Reader", () => this.inner.blob(path));
  }
}
