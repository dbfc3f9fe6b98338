import type { Logger } from "../log.ts";
import type { Digest } from "../registry/digest.ts";
import type { Namespace, Repository, RepositoryOptions } from "../registry/interfaces.ts";
import { parseRepositoryName } from "../registry/names.ts";
import type { LocalNamespace } from "../storage/registry.ts";
import type { BlobFetcher } from "./inflight.ts";
import type { MirrorMetrics } from "./metrics.ts";
import { ProxyBlobStore, proxyUploads } from "./proxyblobstore.ts";
import { ProxyManifestStore, ProxyTagStore } from "./proxymanifests.ts";
import type { Route, UpstreamRouter } from "./routing.ts";
import type { TTLScheduler } from "./scheduler.ts";

export interface ProxyNamespaceOptions {
  /** Repositories no upstream claims: ordinary hosted ones, pushes welcome. */
  readonly hosted: LocalNamespace;
  /** The mirror's local copies (same storage; manifests stored before their blobs). */
  readonly mirror: LocalNamespace;
  readonly router: UpstreamRouter;
  readonly fetcher: BlobFetcher;
  readonly scheduler: TTLScheduler;
  readonly logger: Logger;
  readonly metrics: MirrorMetrics;
}

/** Push and mirror in one registry: routed names are mirrored, the rest hosted. */
export class ProxyNamespace implements Namespace {
  constructor(private readonly options: ProxyNamespaceOptions) {}

  repository(name: string, repositoryOptions?: RepositoryOptions): Repository {
    const route = this.options.router.route(parseRepositoryName(name), repositoryOptions?.ns);
    if (!route) return this.options.hosted.repository(name);
    return this.mirrored(route);
  }

  catalog(limit: number, last?: string): Promise<string[]> {
    return this.options.hosted.catalog(limit, last);
  }

  private mirrored(route: Route): Repository {
    const { mirror, fetcher, scheduler, logger } = this.options;
    const local = mirror.repository(route.localName);
    const ttl = route.upstream.ttl;
    const schedule = (digest: Digest, type: "blob" | "manifest") =>
      scheduler.schedule(`${route.localName}@${digest}`, type, ttl);
    const blobs = new ProxyBlobStore({
      route,
      local: local.blobs,
      fetcher,
      metrics: this.options.metrics,
      pulled: (descriptor) => schedule(descriptor.digest, "blob"),
    });
    const manifestOptions = {
      route,
      local,
      logger,
      pulled: (digest: Digest) => schedule(digest, "manifest"),
    };
    const manifests = new ProxyManifestStore(manifestOptions);
    return {
      name: route.localName,
      blobs,
      uploads: proxyUploads,
      manifests,
      tags: new ProxyTagStore(manifestOptions, manifests),
      referrers: local.referrers,
    };
  }
}
