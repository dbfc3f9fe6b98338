import { type Descriptor, octetStream } from "../registry/descriptor.ts";
import { type Digest, digestOf } from "../registry/digest.ts";
import { registryError } from "../registry/errors.ts";
import { isPathNotFound, type StorageDriver } from "./driver/driver.ts";
import { blobDataPath } from "./paths.ts";

/**
 * The global, content-addressed blob store: every blob's bytes live once under
 * `blobs/<alg>/<ab>/<hex>/data`, whatever the number of repositories that link it.
 * Repositories never reach it directly; they go through a linked blob store.
 */
export class GlobalBlobStore {
  constructor(readonly driver: StorageDriver) {}

  async stat(digest: Digest): Promise<Descriptor> {
    try {
      const info = await this.driver.stat(blobDataPath(digest));
      if (info.isDir) throw registryError("BLOB_UNKNOWN", undefined, { digest });
      return { digest, size: info.size, mediaType: octetStream };
    } catch (err) {
      throw translateNotFound(err, digest);
    }
  }

  async exists(digest: Digest): Promise<boolean> {
    try {
      await this.stat(digest);
      return true;
    } catch {
      return false;
    }
  }

  async get(digest: Digest): Promise<Uint8Array> {
    try {
      return await this.driver.getContent(blobDataPath(digest));
    } catch (err) {
      throw translateNotFound(err, digest);
    }
  }

  async blob(digest: Digest): Promise<Blob> {
    try {
      return await this.driver.blob(blobDataPath(digest));
    } catch (err) {
      throw translateNotFound(err, digest);
    }
  }

  /** Stores small content whole; content already present is not written again. */
  async put(content: Uint8Array, algorithm: "sha256" | "sha512" = "sha256"): Promise<Descriptor> {
    const digest = digestOf(content, algorithm);
    if (!(await this.exists(digest))) await this.driver.putContent(blobDataPath(digest), content);
    return { digest, size: content.byteLength, mediaType: octetStream };
  }
}

export function translateNotFound(err: unknown, digest: Digest): unknown {
  return isPathNotFound(err) ? registryError("BLOB_UNKNOWN", undefined, { digest }) : err;
}
