import type { Descriptor } from "../../registry/descriptor.ts";
import { type Digest, isDigest } from "../../registry/digest.ts";
import { registryError } from "../../registry/errors.ts";

/** Checks shared by every cache implementation, done before any I/O. */
export function checkDigest(digest: string): Digest {
  if (!digest) throw registryError("DIGEST_INVALID", "cache: empty digest");
  if (!isDigest(digest))
    throw registryError("DIGEST_INVALID", "cache: malformed digest", {
      digest: digest.slice(0, 200),
    });
  return digest;
}

export function checkRepository(name: string): string {
  if (!name) throw new Error("cache: repository name must not be empty");
  return name;
}

export function checkDescriptor(descriptor: Descriptor): Descriptor {
  if (!descriptor.digest) throw new Error("cache: descriptor without digest");
  checkDigest(descriptor.digest);
  if (!Number.isSafeInteger(descriptor.size) || descriptor.size < 0) {
    throw new Error(
      `cache: descriptor size must be a non-negative integer, got ${String(descriptor.size)}`,
    );
  }
  if (!descriptor.mediaType) throw new Error("cache: descriptor without media type");
  return descriptor;
}

/** A descriptor stored under a key of another algorithm is fine; same algorithm must match. */
export function checkKeyMatches(digest: Digest, descriptor: Descriptor): void {
  if (digest === descriptor.digest) return;
  if (digest.split(":")[0] === descriptor.digest.split(":")[0]) {
    throw new Error(
      `cache: digest ${digest} and descriptor digest ${descriptor.digest} differ with the same algorithm`,
    );
  }
}

export const blobUnknown = (digest: Digest) => registryError("BLOB_UNKNOWN", undefined, { digest });
