import type { BlobDescriptorService, Descriptor } from "../registry/descriptor.ts";
import { type Digest, isDigest } from "../registry/digest.ts";
import { registryError } from "../registry/errors.ts";
import type { BlobContent, BlobStore } from "../registry/interfaces.ts";
import type { GlobalBlobStore } from "./blobstore.ts";
import { isPathNotFound, type RedirectingDriver, type StorageDriver } from "./driver/driver.ts";
import { blobDataPath } from "./paths.ts";

const isObjectStorage = (driver: StorageDriver): driver is RedirectingDriver =>
  typeof (driver as Partial<RedirectingDriver>).redirectURL === "function";

export type LinkPathFn = (repository: string, digest: Digest) => string;

/**
 * Answers "is this digest linked into this repository?" from storage alone: reads the link
 * file, then stats the blob it names. The cached statter sits in front of it.
 */
export class LinkedBlobStatter implements BlobDescriptorService {
  constructor(
    private readonly driver: StorageDriver,
    private readonly global: GlobalBlobStore,
    private readonly repository: string,
    private readonly linkPath: LinkPathFn,
  ) {}

  async stat(digest: Digest): Promise<Descriptor> {
    const descriptor = await this.global.stat(await this.target(digest));
    return { ...descriptor, digest };
  }

  /** The digest the link file names: one read, BLOB_UNKNOWN when the digest is not linked. */
  async target(digest: Digest): Promise<Digest> {
    let target: string;
    try {
      target = new TextDecoder()
        .decode(await this.driver.getContent(this.linkPath(this.repository, digest)))
        .trim();
    } catch (err) {
      if (isPathNotFound(err)) throw registryError("BLOB_UNKNOWN", undefined, { digest });
      throw err;
    }
    if (!isDigest(target)) throw registryError("BLOB_UNKNOWN", "corrupt link file", { digest });
    return target;
  }

  /** The canonical descriptor is fixed when the blob is linked; nothing to store here. */
  async setDescriptor(): Promise<void> {}

  /**
   * Writes the link file that makes a stored blob part of the repository. Not synced: its
   * content is implied by its path and checked by `target`, so the empty file a power cut may
   * leave reads as "not linked", like a rename the cut lost (the blob itself is synced).
   */
  write(digest: Digest): Promise<void> {
    return this.driver.putContent(this.linkPath(this.repository, digest), digest, {
      durable: false,
    });
  }

  async clear(digest: Digest): Promise<void> {
    try {
      await this.driver.delete(this.linkPath(this.repository, digest));
    } catch (err) {
      if (isPathNotFound(err)) throw registryError("BLOB_UNKNOWN", undefined, { digest });
      throw err;
    }
  }
}

export interface LinkedBlobStoreOptions {
  readonly driver: StorageDriver;
  readonly global: GlobalBlobStore;
  readonly links: LinkedBlobStatter;
  /** The statter for this repository: the cache in front of `links`, or `links` alone. */
  readonly statter: BlobDescriptorService;
  readonly deleteEnabled: boolean;
  readonly redirect: boolean;
  /** Stats a digest in another repository, for cross-repository mounts. */
  readonly statIn: (repository: string, digest: Digest) => Promise<Descriptor>;
}

/** The blobs of one repository: Distribution's linkedBlobStore. */
export class LinkedBlobStore implements BlobStore {
  constructor(private readonly options: LinkedBlobStoreOptions) {}

  stat(digest: Digest): Promise<Descriptor> {
    return this.options.statter.stat(digest);
  }

  async open(digest: Digest, method: "GET" | "HEAD"): Promise<BlobContent> {
    const descriptor = await this.stat(digest);
    const redirect = await this.redirectURL(descriptor.digest, method);
    if (redirect) return { kind: "redirect", descriptor, url: redirect };
    if (isObjectStorage(this.options.driver)) {
      // Redirects are disabled: relay the object's bytes (a Response of the object would redirect).
      const stream = await this.options.driver.reader(blobDataPath(descriptor.digest), 0);
      return { kind: "stream", descriptor, stream };
    }
    return { kind: "blob", descriptor, body: await this.options.global.blob(descriptor.digest) };
  }

  async get(digest: Digest): Promise<Uint8Array> {
    const descriptor = await this.stat(digest);
    return this.options.global.get(descriptor.digest);
  }

  async put(mediaType: string, content: Uint8Array): Promise<Descriptor> {
    const stored = await this.options.global.put(content);
    const descriptor = { ...stored, mediaType };
    await this.link(descriptor);
    return descriptor;
  }

  async mount(fromRepository: string, digest: Digest): Promise<Descriptor> {
    const descriptor = await this.options.statIn(fromRepository, digest);
    await this.link(descriptor);
    return descriptor;
  }

  async delete(digest: Digest): Promise<void> {
    if (!this.options.deleteEnabled)
      throw registryError("UNSUPPORTED", "deletion is disabled (storage.delete.enabled)");
    await this.stat(digest);
    await this.options.statter.clear(digest);
  }

  /** Makes an already stored blob visible in this repository and tells the cache. */
  async link(descriptor: Descriptor): Promise<void> {
    await this.options.links.write(descriptor.digest);
    await this.options.statter.setDescriptor(descriptor.digest, descriptor);
  }

  private async redirectURL(digest: Digest, method: "GET" | "HEAD"): Promise<string | undefined> {
    if (!this.options.redirect || method !== "GET") return undefined;
    const driver = this.options.driver as Partial<RedirectingDriver>;
    return driver.redirectURL?.(blobDataPath(digest), method);
  }
}
