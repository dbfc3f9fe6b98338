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
 * The cache in front of storage. A hit answers; a genuine miss reads storage and fills the
 * cache; any other cache failure (Redis down, timeout) reads storage and leaves the cache
 * alone, so an unhealthy cache is never hammered with fills.
 */
export class CachedBlobStatter implements BlobDescriptorService {
  constructor(
    private readonly cache: BlobDescriptorService,
    private readonly backend: BlobDescriptorService,
    private readonly metrics: CacheMetrics = noCacheMetrics,
    private readonly logger?: Logger,
  ) {}

  async stat(digest: Digest): Promise<Descriptor> {
    this.metrics.count("Request");
    let cacheError: unknown;
    try {
      const descriptor = await this.cache.stat(digest);
      this.metrics.count("Hit");
      return descriptor;
    } catch (err) {
      cacheError = err;
    }
    const descriptor = await this.backend.stat(digest);
    if (isRegistryError(cacheError, "BLOB_UNKNOWN")) {
      this.metrics.count("Miss");
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
    this.logger?.warn("blob descriptor cache failed", {
      operation,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}
