import type { Descriptor } from "./descriptor.ts";
import type { Digest } from "./digest.ts";

/**
 * The domain: a Namespace holds repositories; a Repository holds blobs, manifests, tags and
 * referrers. The HTTP layer knows only these interfaces; storage/ and proxy/ implement them.
 */
export interface RepositoryOptions {
  /** containerd's `?ns=` query parameter: the registry the client meant (mirrors route by it). */
  readonly ns?: string;
}

export interface Namespace {
  repository(name: string, options?: RepositoryOptions): Repository;
  /** Repository names in lexical order after `last`, at most `limit` of them. */
  catalog(limit: number, last?: string): Promise<string[]>;
}

export interface Repository {
  readonly name: string;
  readonly blobs: BlobStore;
  readonly uploads: UploadStore;
  readonly manifests: ManifestStore;
  readonly tags: TagStore;
  readonly referrers: ReferrerStore;
}

/**
 * What a blob GET serves: a `Blob` view of the bytes (zero-copy on disk), a redirect, or a
 * stream (a mirror relaying an upstream fetch; `descriptor.size` is -1 when not yet known).
 */
export type BlobContent =
  | { readonly kind: "blob"; readonly descriptor: Descriptor; readonly body: Blob }
  | { readonly kind: "redirect"; readonly descriptor: Descriptor; readonly url: string }
  | {
      readonly kind: "stream";
      readonly descriptor: Descriptor;
      readonly stream: ReadableStream<Uint8Array>;
    };

/** Blobs linked into one repository. */
export interface BlobStore {
  /** BLOB_UNKNOWN unless the digest is linked into this repository. */
  stat(digest: Digest): Promise<Descriptor>;
  open(digest: Digest, method: "GET" | "HEAD"): Promise<BlobContent>;
  /** Reads a small blob (configs, manifests) whole. */
  get(digest: Digest): Promise<Uint8Array>;
  put(mediaType: string, content: Uint8Array): Promise<Descriptor>;
  /** Links a blob that already exists in `fromRepository` into this one; BLOB_UNKNOWN if not. */
  mount(fromRepository: string, digest: Digest): Promise<Descriptor>;
  delete(digest: Digest): Promise<void>;
}

export interface UploadStatus {
  readonly id: string;
  readonly size: number;
  readonly startedAt: Date;
}

/**
 * The bytes of one upload request: a stream, or for a small body that arrived whole, its bytes
 * (cheaper than a stream for the many small blobs of an image push).
 */
export type UploadBody = ReadableStream<Uint8Array> | Uint8Array | null;

/** Resumable upload sessions of one repository. */
export interface UploadStore {
  start(): Promise<UploadStatus>;
  status(id: string): Promise<UploadStatus>;
  /**
   * Streams `body` onto the end of the upload. When `expectedOffset` is given it must equal
   * the current size (RANGE_INVALID otherwise), so out-of-order chunks are refused.
   * Resolves to the upload's new size.
   */
  append(id: string, body: UploadBody, expectedOffset?: number): Promise<number>;
  /** Verifies the digest and makes the blob visible; on mismatch nothing becomes visible. */
  commit(id: string, digest: Digest, finalChunk?: UploadBody): Promise<Descriptor>;
  cancel(id: string): Promise<void>;
}

export interface StoredManifest {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly content: Uint8Array;
}

export type ManifestReference =
  | { readonly tag: string; readonly digest?: undefined }
  | { readonly digest: Digest; readonly tag?: undefined };

export interface ManifestPutResult {
  readonly digest: Digest;
  /** The digest of the manifest's `subject`, when it has one. */
  readonly subject?: Digest;
}

export interface ManifestStore {
  /** MANIFEST_UNKNOWN unless the manifest is a revision of this repository. */
  get(digest: Digest): Promise<StoredManifest>;
  stat(digest: Digest): Promise<Descriptor>;
  /**
   * Validates, stores and links the manifest, then points `tag` at it when given. With a
   * `digest`, the content must hash to it (DIGEST_INVALID otherwise).
   */
  put(
    content: Uint8Array,
    contentType: string | undefined,
    reference?: ManifestReference,
  ): Promise<ManifestPutResult>;
  delete(digest: Digest): Promise<void>;
}

export interface TagStore {
  /** The digest a tag points at; MANIFEST_UNKNOWN when the tag does not exist. */
  resolve(tag: string): Promise<Digest>;
  tag(tag: string, digest: Digest): Promise<void>;
  untag(tag: string): Promise<void>;
  /** Every tag in lexical order; NAME_UNKNOWN when the repository does not exist. */
  list(): Promise<string[]>;
  /** Tags that currently point at `digest`. */
  lookup(digest: Digest): Promise<string[]>;
}

/** A manifest that names another one as its `subject`. */
export interface ReferrerDescriptor extends Descriptor {
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
}

export interface ReferrerStore {
  list(subject: Digest, artifactType?: string): Promise<ReferrerDescriptor[]>;
}
