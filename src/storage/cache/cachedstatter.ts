import type { Logger } from "../../log.ts";
import type { BlobDescriptorService, Descriptor } from "../../registry/descriptor.ts";
import type { Digest } from "../../registry/digest.ts";
import { isRegistryError, registryError } from "../../registry/errors.ts";

/** Distribution's `registry_storage_cache_total{type}` values. */
export type CacheEvent = "Request" | "Hit" | "Miss" | "Error";

export interface CacheMetrics {
  count(event: CacheEvent): void;
}

export const noCacheMetrics: CacheMetrics = { count() {} };

/**
 * Logs cache trouble once when it starts and once when it ends, not once per request: an
 * outage of a shared Redis must not flood the log while requests fall back to storage.
 */
export class CacheHealth {
  private failing = false;

  constructor(private readonly logger: Logger) {}

  failed(operation: string, err: unknown): void {
    if (this.failing) return;
    this.failing = true;
    const error = err instanceof Error ? err.message : String(err);
    this.logger.warn("blob descriptor cache unavailable: serving from storage", {
      operation,
      error,
    });
  }

  succeeded(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.info("blob descriptor cache available again");
  }
}

/**
 * The cache in front of storage. A hit answers; a genuine miss reads storage and fills the
 * cache; any other cache failure (Redis down, timeout) reads storage and leaves the cache
 * alone, so an unhealthy cache is never hammered with fills.
 *
 * Counting follows Distribution's `registry_storage_cache_total`: every stat is a Request,
 * a Miss is a lookup the cache lacked and storage answered; Error counts every cache failure
 * (lookup or write) whatever storage answers, so an outage shows even on 404s.
 */
export class CachedBlobStatter implements BlobDescriptorService {
  constructor(
    private readonly cache: BlobDescriptorService,
    private readonly backend: BlobDescriptorService,
    private readonly metrics: CacheMetrics = noCacheMetrics,
    private readonly health?: CacheHealth,
  ) {}

  async stat(digest: Digest): Promise<Descriptor> {
    this.metrics.count("Request");
    const cached = await this.lookup(digest);
    if (cached.kind === "hit") return cached.descriptor;
    const descriptor = await this.backend.stat(digest);
    if (cached.kind === "miss") {
      this.metrics.count("Miss");
      await this.cache.setDescriptor(digest, descriptor).catch((err) => this.failed("fill", err));
    }
    return descriptor;
  }

  /** Storage holds the truth; a cache that cannot take the descriptor fills on the next miss. */
  async setDescriptor(digest: Digest, descriptor: Descriptor): Promise<void> {
    await this.backend.setDescriptor(digest, descriptor);
    await this.cache.setDescriptor(digest, descriptor).catch((err) => this.failed("set", err));
  }

  /**
   * Deleting must never leave the cache claiming a deleted blob: with storage deleted first
   * and Redis then failing, a stale entry would keep serving the blob from this repository
   * (the data itself stays in the global store). So the cache is cleared first, and if it
   * cannot be, nothing is deleted and the client is told to retry (deletes are rare; a short
   * refusal during an outage is the price). Storage is deleted next, then the cache is cleared
   * once more: a concurrent stat may have missed and refilled it in between. That second clear
   * failing is counted and logged but not reported: the delete itself has happened.
   */
  async clear(digest: Digest): Promise<void> {
    try {
      await this.clearCache(digest);
    } catch (err) {
      this.failed("clear", err);
      throw registryError(
        "UNAVAILABLE",
        "the blob descriptor cache is unavailable; retry the delete",
      );
    }
    await this.backend.clear(digest);
    await this.clearCache(digest).catch((err) => this.failed("clear", err));
  }

  private async lookup(
    digest: Digest,
  ): Promise<{ kind: "hit"; descriptor: Descriptor } | { kind: "miss" | "error" }> {
    try {
      const descriptor = await this.cache.stat(digest);
      this.metrics.count("Hit");
      this.health?.succeeded();
      return { kind: "hit", descriptor };
    } catch (err) {
      if (isRegistryError(err, "BLOB_UNKNOWN")) {
        this.health?.succeeded();
        return { kind: "miss" };
      }
      this.failed("stat", err);
      return { kind: "error" };
    }
  }

  /** Clears the cache entry; an entry that is not there is already what we want. */
  private async clearCache(digest: Digest): Promise<void> {
    try {
      await this.cache.clear(digest);
    } catch (err) {
      if (!isRegistryError(err, "BLOB_UNKNOWN")) throw err;
    }
  }

  private failed(operation: string, err: unknown): void {
    this.metrics.count("Error");
    this.health?.failed(operation, err);
  }
}
