import type { Config } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import type { StorageDriver } from "../storage/driver/driver.ts";
import { LocalNamespace, type LocalNamespaceOptions } from "../storage/registry.ts";
import { UpstreamClient } from "./client.ts";
import { expirer } from "./expiry.ts";
import { BlobFetcher } from "./inflight.ts";
import { type MirrorMetrics, noMirrorMetrics } from "./metrics.ts";
import { ProxyNamespace } from "./namespace.ts";
import { type UpstreamConfig, UpstreamRouter } from "./routing.ts";
import { TTLScheduler } from "./scheduler.ts";

/** Distribution's single `proxy:` (mirrors every name) plus skiff's prefixed `proxies:`. */
export function upstreamConfigs(config: Config): UpstreamConfig[] {
  const configs: UpstreamConfig[] = config.proxies.map((proxy) => ({
    ...proxy,
    prefix: proxy.prefix,
  }));
  if (config.proxy?.remoteurl) configs.push({ ...config.proxy, prefix: "" });
  return configs;
}

export interface Mirror {
  readonly namespace: ProxyNamespace;
  readonly scheduler: TTLScheduler;
  readonly router: UpstreamRouter;
  /** Upstream fetches; clients may have all their bytes before the blob is stored. */
  readonly fetcher: BlobFetcher;
}

export interface MirrorOptions {
  readonly upstreams: readonly UpstreamConfig[];
  readonly driver: StorageDriver;
  readonly hosted: LocalNamespace;
  readonly local: Omit<LocalNamespaceOptions, "verifyReferences" | "deleteEnabled">;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly makeClient?: (config: UpstreamConfig) => UpstreamClient;
  readonly metrics?: MirrorMetrics;
}

/** Builds the pull-through mirror over the hosted registry. Nothing contacts an upstream yet. */
export function createMirror(options: MirrorOptions): Mirror {
  const metrics = options.metrics ?? noMirrorMetrics;
  const mirror = new LocalNamespace({
    ...options.local,
    deleteEnabled: true,
    verifyReferences: false,
  });
  const scheduler = new TTLScheduler({
    driver: options.driver,
    expire: expirer(options.driver, mirror),
    logger: options.logger,
    now: options.now,
    onExpired: (type) => metrics.expired(type),
  });
  const makeClient =
    options.makeClient ??
    ((config: UpstreamConfig) =>
      new UpstreamClient({
        ...config,
        onResponse: (method, status) => metrics.upstreamRequest(method, status),
      }));
  const router = new UpstreamRouter(options.upstreams, makeClient);
  const fetcher = new BlobFetcher(options.driver, options.hosted.global, metrics);
  const namespace = new ProxyNamespace({
    hosted: options.hosted,
    mirror,
    router,
    fetcher,
    scheduler,
    logger: options.logger,
    metrics,
  });
  return { namespace, scheduler, router, fetcher };
}
