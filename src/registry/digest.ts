import { registryError } from "./errors.ts";

/** A content digest such as `sha256:<64 hex>`; validated before any I/O touches it. */
export type Digest = string & { readonly __digest: unique symbol };

export type DigestAlgorithm = "sha256" | "sha512";

const hexLength: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const digestPattern = /^(sha256|sha512):([a-f0-9]+)$/;

export interface ParsedDigest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
}

/** Returns the parts of a well-formed digest, or undefined. Never throws. */
export function splitDigest(value: string): ParsedDigest | undefined {
  const match = digestPattern.exec(value);
  if (!match) return undefined;
  const algorithm = match[1] as DigestAlgorithm;
  const hex = match[2] as string;
  return hex.length === hexLength[algorithm] ? { algorithm, hex } : undefined;
}

export const isDigest = (value: string): value is Digest => splitDigest(value) !== undefined;

/** Validates a digest supplied by a client; DIGEST_INVALID otherwise. */
export function parseDigest(value: string | null | undefined): Digest {
  if (value && isDigest(value)) return value;
  throw registryError("DIGEST_INVALID", "invalid digest", { digest: value ?? "" });
}

export function digestParts(digest: Digest): ParsedDigest {
  return splitDigest(digest) as ParsedDigest;
}

export const digestAlgorithm = (digest: Digest): DigestAlgorithm => digestParts(digest).algorithm;

export function newHasher(algorithm: DigestAlgorithm): Bun.CryptoHasher {
  return new Bun.CryptoHasher(algorithm);
}

export function digestOf(data: string | Uint8Array, algorithm: DigestAlgorithm = "sha256"): Digest {
  return `${algorithm}:${new Bun.CryptoHasher(algorithm).update(data).digest("hex")}` as Digest;
}

/** Finalizes a hasher into a digest without consuming its running state. */
export function hasherDigest(hasher: Bun.CryptoHasher, algorithm: DigestAlgorithm): Digest {
  return `${algorithm}:${hasher.copy().digest("hex")}` as Digest;
}
