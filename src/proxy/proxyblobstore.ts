import type { Descriptor } from "../registry/descriptor.ts";
import type { Digest } from "../registry/digest.ts";
import { isRegistryError, registryError } from "../registry/errors.ts";
import type { BlobContent, BlobStore, UploadStatus, UploadStore } from "../registry/interfaces.ts";
import type { LinkedBlobStore } from "../storage/linkedblobstore.ts";
import type { BlobFetcher } from "./inflight.ts";
import type { MirrorMetrics } from "./metrics.ts";
import type { Route } from "./routing.ts";
import { mirrorReadOnly, upstreamUnavailable } from "./upstreamerrors.ts";

export interface ProxyBlobStoreOptions {
  readonly route: Route;
  readonly local: LinkedBlobStore;
  readonly fetcher: BlobFetcher;
  /** Called for every blob the mirror stores, to schedule its expiry. */
  readonly pulled: (descriptor: Descriptor) => Promise<void>;
  readonly metrics: MirrorMetrics;
}

/** Blobs of a mirrored repository: local first, else one shared upstream fetch. */
export class ProxyBlobStore implements BlobStore {
  constructor(private readonly options: ProxyBlobStoreOptions) {}

  async stat(digest: Digest): Promise<Descriptor> {
    const local = await this.localStat(digest);
    if (local) return local;
    const { client } = this.options.route.upstream;
    const response = await client
      .blob("HEAD", this.options.route.remoteName, digest)
      .catch((err: Error) => {
        throw upstreamUnavailable(err.message);
      });
    if (response.status === 404) throw registryError("BLOB_UNKNOWN", undefined, { digest });
    if (!response.ok) throw upstreamUnavailable(`HEAD blob answered ${response.status}`);
    return {
      digest,
      size: Number(response.headers.get("content-length") ?? -1),
      mediaType: "application/octet-stream",
    };
  }

  async open(digest: Digest, method: "GET" | "HEAD"): Promise<BlobContent> {
    const cached = await this.localStat(digest);
    if (cached) {
      if (method === "GET") this.options.metrics.bytesFromCache(cached.size);
      return this.options.local.open(digest, method);
    }
    const { route, local, fetcher } = this.options;
    const fetched = await fetcher.fetch(digest, {
      repository: route.localName,
      open: (signal) => route.upstream.client.blob("GET", route.remoteName, digest, signal),
      link: async (descriptor) => {
        await local.link(descriptor);
        await this.options.pulled(descriptor);
      },
    });
    return {
      kind: "stream",
      descriptor: { digest, size: fetched.size ?? -1, mediaType: "application/octet-stream" },
      stream: fetched.stream,
    };
  }

  async get(digest: Digest): Promise<Uint8Array> {
    const content = await this.open(digest, "GET");
    if (content.kind === "blob") return new Uint8Array(await content.body.arrayBuffer());
    if (content.kind === "stream")
      return new Uint8Array(await new Response(content.stream).arrayBuffer());
    throw registryError("UNSUPPORTED", "blob is served by redirect");
  }

  async put(): Promise<Descriptor> {
    throw mirrorReadOnly();
  }

  async mount(): Promise<Descriptor> {
    throw mirrorReadOnly();
  }

  async delete(): Promise<void> {
    throw mirrorReadOnly();
  }

  private async localStat(digest: Digest): Promise<Descriptor | undefined> {
    try {
      return await this.options.local.stat(digest);
    } catch (err) {
      if (isRegistryError(err, "BLOB_UNKNOWN")) return undefined;
      throw err;
    }
  }
}

/** Mirrored namespaces take no pushes. */
export const proxyUploads: UploadStore = {
  start: async (): Promise<UploadStatus> => {
    throw mirrorReadOnly();
  },
  status: async () => {
    throw mirrorReadOnly();
  },
  append: async () => {
    throw mirrorReadOnly();
  },
  commit: async () => {
    throw mirrorReadOnly();
  },
  cancel: async () => {
    throw mirrorReadOnly();
  },
};
