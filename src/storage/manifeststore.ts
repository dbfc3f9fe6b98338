import type { Descriptor } from "../registry/descriptor.ts";
import { type Digest, digestOf, digestParts, isDigest } from "../registry/digest.ts";
import { isRegistryError, registryError } from "../registry/errors.ts";
import type {
  BlobStore,
  ManifestPutResult,
  ManifestReference,
  ManifestStore,
  StoredManifest,
} from "../registry/interfaces.ts";
import {
  manifestMediaType,
  maxManifestBytes,
  type ParsedManifest,
  parseManifest,
} from "../registry/manifest.ts";
import type { GlobalBlobStore } from "./blobstore.ts";
import type { LRUCache } from "./cache/lru.ts";
import type { LinkedBlobStatter } from "./linkedblobstore.ts";
import type { ReferrerLinks } from "./referrers.ts";
import type { TagLinks } from "./tagstore.ts";

/** Only typical manifests are kept in memory, so the cache stays small (512 × 64 KiB at most). */
const cacheableManifestBytes = 64 * 1024;

export interface ManifestRevisionsOptions {
  readonly global: GlobalBlobStore;
  /** Reads `_manifests/revisions/<alg>/<hex>/link`. */
  readonly revisions: LinkedBlobStatter;
  readonly blobs: BlobStore;
  readonly tags: TagLinks;
  readonly referrers: ReferrerLinks;
  readonly deleteEnabled: boolean;
  readonly verifyReferences: boolean;
  /** Manifest bodies by digest, shared by all repositories (content never changes). */
  readonly contents?: LRUCache<Digest, { content: Uint8Array; mediaType: string }>;
}

/** Manifests stored as blobs and linked as revisions of one repository. */
export class ManifestRevisions implements ManifestStore {
  constructor(private readonly options: ManifestRevisionsOptions) {}

  async stat(digest: Digest): Promise<Descriptor> {
    try {
      return await this.options.revisions.stat(digest);
    } catch (err) {
      throw isRegistryError(err, "BLOB_UNKNOWN")
        ? registryError("MANIFEST_UNKNOWN", undefined, { digest })
        : err;
    }
  }

  /**
   * One link read decides membership; the content, immutable by its digest, comes from the
   * shared content cache when it is there.
   */
  async get(digest: Digest): Promise<StoredManifest> {
    let target: Digest;
    try {
      target = await this.options.revisions.target(digest);
    } catch (err) {
      throw isRegistryError(err, "BLOB_UNKNOWN")
        ? registryError("MANIFEST_UNKNOWN", undefined, { digest })
        : err;
    }
    const cached = this.options.contents?.get(target);
    if (cached) return { digest, ...cached };
    const content = await this.options.global.get(target);
    const entry = { content, mediaType: manifestMediaType(content) };
    if (content.byteLength <= cacheableManifestBytes) this.options.contents?.set(target, entry);
    return { digest, ...entry };
  }

  async put(
    content: Uint8Array,
    contentType: string | undefined,
    reference?: ManifestReference,
  ): Promise<ManifestPutResult> {
    if (content.byteLength > maxManifestBytes) {
      throw registryError(
        "MANIFEST_INVALID",
        `manifest exceeds ${maxManifestBytes} bytes`,
        { size: content.byteLength },
        413,
      );
    }
    const algorithm = reference?.digest ? digestParts(reference.digest).algorithm : "sha256";
    const digest = digestOf(content, algorithm);
    if (reference?.digest && reference.digest !== digest) {
      throw registryError("DIGEST_INVALID", "manifest digest did not match the reference", {
        digest: reference.digest,
      });
    }
    const manifest = parseManifest(content, contentType);
    if (this.options.verifyReferences) await this.checkReferences(manifest);
    await this.options.global.put(content, algorithm);
    await this.options.revisions.write(digest);
    if (manifest.subject) await this.options.referrers.add(manifest.subject.digest, digest);
    if (reference?.tag !== undefined) await this.options.tags.tag(reference.tag, digest);
    return { digest, ...(manifest.subject ? { subject: manifest.subject.digest } : {}) };
  }

  async delete(digest: Digest): Promise<void> {
    if (!this.options.deleteEnabled)
      throw registryError("UNSUPPORTED", "deletion is disabled (storage.delete.enabled)");
    const manifest = await this.get(digest);
    for (const tag of await this.options.tags.lookup(digest)) await this.options.tags.untag(tag);
    const subject = subjectOf(manifest.content);
    if (subject) await this.options.referrers.remove(subject, digest);
    await this.options.revisions.clear(digest);
  }

  /** Every config, layer and child manifest must already be in this repository. */
  private async checkReferences(manifest: ParsedManifest): Promise<void> {
    const missing: Digest[] = [];
    await Promise.all([
      ...manifest.blobs.map((ref) =>
        this.options.blobs.stat(ref.digest).catch((err) => recordMissing(err, ref.digest, missing)),
      ),
      ...manifest.manifests.map((ref) =>
        this.stat(ref.digest).catch((err) => recordMissing(err, ref.digest, missing)),
      ),
    ]);
    if (missing.length > 0) {
      throw registryError("MANIFEST_BLOB_UNKNOWN", "blob unknown to registry", {
        digest: missing[0],
        missing,
      });
    }
  }
}

function recordMissing(err: unknown, digest: Digest, missing: Digest[]): void {
  if (isRegistryError(err, "BLOB_UNKNOWN") || isRegistryError(err, "MANIFEST_UNKNOWN"))
    missing.push(digest);
  else throw err;
}

function subjectOf(content: Uint8Array): Digest | undefined {
  try {
    const subject = (
      JSON.parse(new TextDecoder().decode(content)) as { subject?: { digest?: unknown } }
    ).subject?.digest;
    return typeof subject === "string" && isDigest(subject) ? subject : undefined;
  } catch {
    return undefined;
  }
}
