import type {
  BlobDescriptorService,
  BlobDescriptorServiceProvider,
  Descriptor,
} from "../../registry/descriptor.ts";
import type { Digest } from "../../registry/digest.ts";
import { LRUCache } from "./lru.ts";
import {
  blobUnknown,
  checkDescriptor,
  checkDigest,
  checkKeyMatches,
  checkRepository,
} from "./validate.ts";

export interface InMemoryCacheOptions {
  /** Entries kept per map (`storage.cache.blobdescriptorsize`). */
  readonly size?: number;
}

/**
 * Process-local descriptor cache with the same semantics as the Redis one: global descriptors,
 * plus per-repository membership with an optional media type override, each bounded by an LRU.
 */
export class InMemoryBlobDescriptorCacheProvider implements BlobDescriptorServiceProvider {
  private readonly descriptors: LRUCache<string, Descriptor>;
  /** `<repository>@<digest>` → the repository's media type for the blob. */
  private readonly memberships: LRUCache<string, string>;

  constructor(options: InMemoryCacheOptions = {}) {
    const size = options.size ?? 10_000;
    this.descriptors = new LRUCache(size);
    this.memberships = new LRUCache(size);
  }

  async stat(digest: Digest): Promise<Descriptor> {
    const descriptor = this.descriptors.get(checkDigest(digest));
    if (!descriptor) throw blobUnknown(digest);
    return descriptor;
  }

  async setDescriptor(digest: Digest, descriptor: Descriptor): Promise<void> {
    checkDigest(digest);
    checkDescriptor(descriptor);
    // As with Redis' HSETNX: the first media type recorded for a digest stays.
    const mediaType = this.descriptors.get(digest)?.mediaType ?? descriptor.mediaType;
    this.descriptors.set(digest, { digest: descriptor.digest, size: descriptor.size, mediaType });
  }

  async clear(digest: Digest): Promise<void> {
    if (!this.descriptors.delete(checkDigest(digest))) throw blobUnknown(digest);
  }

  repositoryScoped(name: string): BlobDescriptorService {
    const repository = checkRepository(name);
    const key = (digest: Digest) => `${repository}@${digest}`;
    return {
      stat: async (digest) => {
        const mediaType = this.memberships.get(key(checkDigest(digest)));
        if (mediaType === undefined) throw blobUnknown(digest);
        const descriptor = await this.stat(digest);
        return mediaType ? { ...descriptor, mediaType } : descriptor;
      },
      setDescriptor: async (digest, descriptor) => {
        checkDigest(digest);
        checkDescriptor(descriptor);
        checkKeyMatches(digest, descriptor);
        await this.setDescriptor(digest, descriptor);
        this.memberships.set(key(digest), descriptor.mediaType);
        if (descriptor.digest !== digest) {
          await this.setDescriptor(descriptor.digest, descriptor);
          this.memberships.set(key(descriptor.digest), descriptor.mediaType);
        }
      },
      clear: async (digest) => {
        if (!this.memberships.delete(key(checkDigest(digest)))) throw blobUnknown(digest);
      },
    };
  }
}
