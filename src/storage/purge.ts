import type { Logger } from "../log.ts";
import { isPathNotFound, SkipDir, type StorageDriver } from "./driver/driver.ts";
import { repositoriesRoot } from "./paths.ts";

export interface PurgeOptions {
  /** Uploads started longer ago than this (ms) are abandoned. */
  readonly age: number;
  readonly dryRun: boolean;
  readonly now?: () => number;
}

export interface PurgedUpload {
  readonly path: string;
  readonly startedAt: Date;
}

/** Removes abandoned upload sessions (`_uploads/<id>`) older than `age`. */
export async function purgeUploads(
  driver: StorageDriver,
  options: PurgeOptions,
): Promise<PurgedUpload[]> {
  const now = (options.now ?? Date.now)();
  const purged: PurgedUpload[] = [];
  for (const uploadsDir of await uploadFolders(driver)) {
    for (const session of await driver.list(uploadsDir).catch(() => [])) {
      const startedAt = await startedAtOf(driver, session);
      if (!startedAt || now - startedAt.getTime() <= options.age) continue;
      if (!options.dryRun) {
        await driver.delete(session).catch((err) => {
          if (!isPathNotFound(err)) throw err;
        });
      }
      purged.push({ path: session, startedAt });
    }
  }
  return purged;
}

async function uploadFolders(driver: StorageDriver): Promise<string[]> {
  const folders: string[] = [];
  try {
    await driver.walk(repositoriesRoot, (info) => {
      if (!info.isDir) return undefined;
      const base = info.path.slice(info.path.lastIndexOf("/") + 1);
      if (base === "_uploads") folders.push(info.path);
      return base.startsWith("_") ? SkipDir : undefined;
    });
  } catch (err) {
    if (!isPathNotFound(err)) throw err;
  }
  return folders;
}

/** The session's `startedat`, or the folder's modification time when that file is unreadable. */
async function startedAtOf(driver: StorageDriver, session: string): Promise<Date | undefined> {
  const text = await driver.getContent(`${session}/startedat`).then(
    (content) => new TextDecoder().decode(content).trim(),
    () => "",
  );
  const parsed = text ? new Date(text) : undefined;
  if (parsed && !Number.isNaN(parsed.getTime())) return parsed;
  return driver.stat(session).then(
    (info) => info.modTime,
    () => undefined,
  );
}

/** `storage.maintenance.uploadpurging`: purges in the background every `interval`. */
export class UploadPurger {
  private timer?: ReturnType<typeof setInterval>;

  constructor(
    private readonly driver: StorageDriver,
    private readonly options: PurgeOptions & { readonly interval: number },
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), Math.max(1000, this.options.interval));
    (this.timer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async runOnce(): Promise<PurgedUpload[]> {
    try {
      const purged = await purgeUploads(this.driver, this.options);
      if (purged.length > 0)
        this.logger.info(
          this.options.dryRun ? "abandoned uploads found (dry run)" : "abandoned uploads purged",
          { count: purged.length },
        );
      return purged;
    } catch (err) {
      this.logger.warn("upload purging failed", { error: (err as Error).message });
      return [];
    }
  }
}
