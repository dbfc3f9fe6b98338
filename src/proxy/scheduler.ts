import type { Logger } from "../log.ts";
import { isPathNotFound, type StorageDriver } from "../storage/driver/driver.ts";

export type EntryType = "blob" | "manifest";

/** Distribution's scheduler entry, field names and all, so the state file is shared. */
interface StoredEntry {
  Key: string;
  ExpiryData: string;
  EntryType: 0 | 1;
}

export interface ExpiringEntry {
  /** `<repository>@<digest>` */
  readonly key: string;
  readonly type: EntryType;
  readonly expiry: number;
}

export interface SchedulerOptions {
  readonly driver: StorageDriver;
  readonly expire: (entry: ExpiringEntry) => Promise<void>;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Driver path of the state file; Distribution keeps it at the storage root. */
  readonly statePath?: string;
  readonly onExpired?: (type: EntryType) => void;
}

const typeCodes: Record<EntryType, 0 | 1> = { blob: 0, manifest: 1 };

/**
 * Expires what the mirror pulled once its TTL passes. State is persisted atomically to
 * `scheduler-state.json` after every change and reloaded on start, so expiry survives a restart.
 */
export class TTLScheduler {
  private readonly entries = new Map<string, ExpiringEntry>();
  private readonly now: () => number;
  private readonly statePath: string;
  private timer?: ReturnType<typeof setTimeout>;
  private saving?: Promise<void>;
  private dirty = false;
  private stopped = true;

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? Date.now;
    this.statePath = options.statePath ?? "/scheduler-state.json";
  }

  get size(): number {
    return this.entries.size;
  }

  async start(): Promise<void> {
    await this.load();
    this.stopped = false;
    await this.runDue();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Schedules (or pushes back) the expiry of a pulled blob or manifest. `ttl` ≤ 0: never. */
  async schedule(key: string, type: EntryType, ttl: number): Promise<void> {
    if (ttl <= 0) return;
    this.entries.set(key, { key, type, expiry: this.now() + ttl });
    this.arm();
    await this.save();
  }

  /** Expires every entry that is due now; entries whose expiry fails are retried later. */
  async runDue(): Promise<void> {
    const due = [...this.entries.values()].filter((entry) => entry.expiry <= this.now());
    for (const entry of due) {
      try {
        await this.options.expire(entry);
        this.entries.delete(entry.key);
        this.options.onExpired?.(entry.type);
      } catch (err) {
        this.options.logger.warn("expiry failed; will retry", {
          key: entry.key,
          error: (err as Error).message,
        });
        this.entries.set(entry.key, { ...entry, expiry: this.now() + 60_000 });
      }
    }
    if (due.length > 0) await this.save();
    this.arm();
  }

  private arm(): void {
    clearTimeout(this.timer);
    if (this.stopped || this.entries.size === 0) return;
    const next = Math.min(...[...this.entries.values()].map((entry) => entry.expiry));
    // setTimeout holds at most ~24.8 days; longer waits re-arm on wake-up.
    const delay = Math.min(Math.max(0, next - this.now()), 2 ** 31 - 1);
    this.timer = setTimeout(() => void this.runDue(), delay);
    (this.timer as { unref?: () => void }).unref?.();
  }

  private async load(): Promise<void> {
    let text: string;
    try {
      text = new TextDecoder().decode(await this.options.driver.getContent(this.statePath));
    } catch (err) {
      if (isPathNotFound(err)) return;
      throw err;
    }
    try {
      const stored = JSON.parse(text) as Record<string, StoredEntry>;
      for (const entry of Object.values(stored)) {
        const expiry = Date.parse(entry.ExpiryData);
        if (!entry.Key || Number.isNaN(expiry)) continue;
        this.entries.set(entry.Key, {
          key: entry.Key,
          type: entry.EntryType === 1 ? "manifest" : "blob",
          expiry,
        });
      }
    } catch (err) {
      this.options.logger.warn("scheduler state unreadable; starting empty", {
        error: (err as Error).message,
      });
    }
  }

  /** Writes the state; overlapping calls coalesce into one more write after the current one. */
  private async save(): Promise<void> {
    if (this.saving) {
      this.dirty = true;
      return this.saving;
    }
    this.saving = (async () => {
      do {
        this.dirty = false;
        const stored: Record<string, StoredEntry> = {};
        for (const entry of this.entries.values()) {
          stored[entry.key] = {
            Key: entry.key,
            ExpiryData: new Date(entry.expiry).toISOString(),
            EntryType: typeCodes[entry.type],
          };
        }
        await this.options.driver.putContent(this.statePath, JSON.stringify(stored));
      } while (this.dirty);
    })().finally(() => {
      this.saving = undefined;
    });
    return this.saving;
  }
}
