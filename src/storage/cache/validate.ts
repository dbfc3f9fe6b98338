import type { Descriptor } from "../../registry/descriptor.ts";
import { type Digest, digestAlgorithm, isDigest } from "../../registry/digest.ts";
import { type RegistryError, registryError } from "../../registry/errors.ts";
import { isRepositoryName } from "../../registry/names.ts";

/*
 * Checks shared by every cache implementation, done before any I/O: a bad value must never
 * become a key (a name with "::" could address another repository's keys) or a stored entry.
 */

export function checkDigest(digest: string): Digest {
  if (!digest) throw registryError("DIGEST_INVALID", "cache: empty digest");
  if (!isDigest(digest))
    throw registryError("DIGEST_INVALID", "cache: malformed digest", {
      digest: digest.slice(0, 200),
    });
  return digest;
}

export function checkRepository(name: string): string {
  if (!name) throw registryError("NAME_INVALID", "cache: empty repository name");
  if (!isRepositoryName(name))
    throw registryError("NAME_INVALID", "cache: invalid repository name", {
      name: name.slice(0, 300),
    });
  return name;
}

/** What Distribution's `cache.ValidateDescriptor` refuses, plus sizes that are not integers. */
export function checkDescriptor(descriptor: Descriptor): Descriptor {
  if (!descriptor.digest) throw new Error("cache: descriptor without digest");
  const digest: string = descriptor.digest;
  if (!isDigest(digest))
    throw new Error(`cache: descriptor digest is malformed: ${digest.slice(0, 200)}`);
  if (!Number.isSafeInteger(descriptor.size) || descriptor.size < 0) {
    throw new Error(
      `cache: descriptor size must be a non-negative integer, got ${String(descriptor.size)}`,
    );
  }
  if (!descriptor.mediaType) throw new Error("cache: descriptor without media type");
  return descriptor;
}

/**
 * A descriptor may be stored under a key of another algorithm (a sha512 alias of a sha256
 * blob); under the same algorithm the two digests must be equal.
 */
export function checkKeyMatches(digest: Digest, descriptor: Descriptor): void {
  if (digest === descriptor.digest) return;
  if (digestAlgorithm(digest) === digestAlgorithm(descriptor.digest)) {
    throw new Error(
      `cache: digest ${digest} and descriptor digest ${descriptor.digest} differ with the same algorithm`,
    );
  }
}

/** The genuine miss: the only error a cache throws that is not a failure of the cache. */
export const blobUnknown = (digest: Digest): RegistryError =>
  registryError("BLOB_UNKNOWN", undefined, { digest });
