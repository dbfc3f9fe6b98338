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
    let cacheError: unknown;
    try {
      const descriptor = await this.cache.stat(digest);
      this.metrics.count("Hit");
      this.health?.succeeded();
      return descriptor;
    } catch (err) {
      cacheError = err;
    }
    const descriptor = await this.backend.stat(digest);
    if (isRegistryError(cacheError, "BLOB_UNKNOWN")) {
      this.metrics.count("Miss");
      this.health?.succeeded();
      await this.cache.setDescriptor(digest, descriptor).catch((err) => this.failed("fill", err));
    } else {
      this.failed("stat", cacheError);
    }
    return descriptor;
  }

  /** Storage holds the truth; a cache that cannot take the descriptor fills on the next miss. */
  async setDescriptor(digest: Digest, descriptor: Descriptor): Promise<void> {
    await this.backend.setDescriptor(digest, descriptor);
    await this.cache.setDescriptor(digest, descriptor).catch((err) => this.failed("set", err));
  }

  /**
   * The cache is cleared first: if it cannot be (Redis down), nothing is deleted and the
   * client is told to retry, rather than leaving a cache that still reports a deleted blob.
   */
  async clear(digest: Digest): Promise<void> {
    try {
      await this.cache.clear(digest);
    } catch (err) {
      if (!isRegistryError(err, "BLOB_UNKNOWN")) {
        this.failed("clear", err);
        throw registryError(
          "UNAVAILABLE",
          "the blob descriptor cache is unavailable; retry the delete",
        );
      }
    }
    await this.backend.clear(digest);
  }

  private failed(operation: string, err: unknown): void {
    this.metrics.count("Error");
    this.health?.failed(operation, err);
  }
}
