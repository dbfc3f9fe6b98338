import type { Digest } from "./digest.ts";

/** What the registry knows about a blob without reading it. */
export interface Descriptor {
  readonly digest: Digest;
  readonly size: number;
  readonly mediaType: string;
}

/** Default media type for blobs whose type nobody told us. */
export const octetStream = "application/octet-stream";

/**
 * Answers "is this digest known (here), and what are its size and media type?".
 * `stat` throws RegistryError BLOB_UNKNOWN on a genuine miss; any other error means the
 * service itself failed and callers must not treat it as a miss.
 */
export interface BlobDescriptorService {
  stat(digest: Digest): Promise<Descriptor>;
  setDescriptor(digest: Digest, descriptor: Descriptor): Promise<void>;
  clear(digest: Digest): Promise<void>;
}

/** A global descriptor service that can be narrowed to one repository. */
export interface BlobDescriptorServiceProvider extends BlobDescriptorService {
  repositoryScoped(name: string): BlobDescriptorService;
}
