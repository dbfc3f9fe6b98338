import { createAuthenticator } from "./auth/wire.ts";
import { type Config, selectedStorageDriver } from "./config/schema.ts";
import { storageProbe, upstreamProbe } from "./health/checks.ts";
import { Health, type HealthCheck, OnDemandCheck, PeriodicCheck } from "./health/health.ts";
import { createApp } from "./http/app.ts";
import type { Logger } from "./log.ts";
import { Metrics } from "./metrics/metrics.ts";
import { createMirror, type Mirror, upstreamConfigs } from "./proxy/wire.ts";
import type { Namespace } from "./registry/interfaces.ts";
import { CachedBlobStatter, CacheHealth } from "./storage/cache/cachedstatter.ts";
import { createDescriptorCache, type DescriptorCache } from "./storage/cache/provider.ts";
import type { StorageDriver } from "./storage/driver/driver.ts";
import { FilesystemDriver } from "./storage/driver/filesystem.ts";
import { InMemoryDriver } from "./storage/driver/inmemory.ts";
import { InstrumentedDriver } from "./storage/driver/instrumented.ts";
import { S3Driver } from "./storage/driver/s3.ts";
import { UploadPurger } from "./storage/purge.ts";
import { LocalNamespace, type LocalNamespaceOptions } from "./storage/registry.ts";

/** Everything a running registry is made of, built in one place from the config. */
export interface Registry {
  readonly app: ReturnType<typeof createApp>;
  readonly namespace: Namespace;
  readonly hosted: LocalNamespace;
  readonly driver: StorageDriver;
  readonly cache?: DescriptorCache;
  readonly mirror?: Mirror;
  readonly metrics?: Metrics;
  readonly health: Health;
  readonly purger?: UploadPurger;
  /** Loads persisted state (the mirror's expiry schedule) and starts timers. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export function createDriver(config: Config): StorageDriver {
  const name = selectedStorageDriver(config);
  switch (name) {
    case "filesystem":
      return new FilesystemDriver({
        rootdirectory: config.storage.filesystem?.rootdirectory ?? "/var/lib/registry",
      });
    case "inmemory":
      return new InMemoryDriver();
    case "s3": {
      const s3 = config.storage.s3;
      if (!s3?.bucket) throw new Error("storage.s3.bucket is required");
      // Bun.S3Client cannot send SSE headers: refuse rather than store unencrypted silently.
      if (s3.encrypt || s3.keyid) {
        throw new Error(
          "storage.s3.encrypt/keyid: per-request server-side encryption is not supported; use the bucket's default encryption",
        );
      }
      return new S3Driver({ ...s3, bucket: s3.bucket });
    }
  }
}

/** Seams for tests: a fake clock for expiry. */
export interface RegistryOverrides {
  readonly now?: () => number;
}

export function buildRegistry(
  config: Config,
  logger: Logger,
  storage: StorageDriver = createDriver(config),
  overrides: RegistryOverrides = {},
): Registry {
  const metrics = config.http.debug.prometheus.enabled ? new Metrics() : undefined;
  const driver = metrics ? new InstrumentedDriver(storage, metrics.storageObserver) : storage;
  const cache = createDescriptorCache(config, logger, metrics?.redisObserver);
  const cacheHealth = new CacheHealth(logger);
  const local: LocalNamespaceOptions = {
    driver,
    deleteEnabled: config.storage.delete.enabled,
    redirect: !config.storage.redirect.disable,
    cachedStatter: cache
      ? (repository, backend) =>
          new CachedBlobStatter(
            cache.provider.repositoryScoped(repository),
            backend,
            metrics?.cache,
            cacheHealth,
          )
      : undefined,
  };
  const hosted = new LocalNamespace(local);
  const upstreams = upstreamConfigs(config);
  if (upstreams.length > 0 && selectedStorageDriver(config) === "s3") {
    // The mirror streams fetches to clients through a staging file it flushes every MiB; on S3
    // each flush re-uploads the whole object. Refuse rather than crawl.
    throw new Error(
      "the pull-through mirror (proxy/proxies) does not support storage.s3 yet; use filesystem storage",
    );
  }
  const mirror =
    upstreams.length > 0
      ? createMirror({
          upstreams,
          driver,
          hosted,
          local,
          logger,
          now: overrides.now,
          metrics: metrics?.mirror,
        })
      : undefined;
  const health = new Health(healthChecks(config, driver, cache, mirror));
  const purging = config.storage.maintenance.uploadpurging;
  const purger =
    purging.enabled && !config.storage.maintenance.readonly.enabled
      ? new UploadPurger(
          driver,
          {
            age: purging.age,
            interval: purging.interval,
            dryRun: purging.dryrun,
            now: overrides.now,
          },
          logger,
        )
      : undefined;
  const app = createApp({
    namespace: mirror?.namespace ?? hosted,
    logger,
    http: {
      prefix: normalizePrefix(config.http.prefix),
      host: config.http.host,
      relativeURLs: config.http.relativeurls,
    },
    headers: config.http.headers,
    readOnly: config.storage.maintenance.readonly.enabled,
    accessLog: !config.log.accesslog.disabled,
    metrics,
    health,
    authenticator: createAuthenticator(config),
    tls: Boolean(config.http.tls.certificate),
    maxConcurrentUploads: config.http.maxconcurrentuploads,
  });
  return {
    app,
    namespace: mirror?.namespace ?? hosted,
    hosted,
    driver,
    cache,
    mirror,
    metrics,
    health,
    purger,
    start: async () => {
      await mirror?.scheduler.start();
      await health.start();
      purger?.start();
    },
    close: async () => {
      // Blobs that clients already received are stored before the schedule stops.
      await mirror?.fetcher.settled();
      purger?.stop();
      health.stop();
      mirror?.scheduler.stop();
      await cache?.close();
    },
  };
}

/** Storage is required for health; Redis and upstreams are reported but never make it 503. */
function healthChecks(
  config: Config,
  driver: StorageDriver,
  cache?: DescriptorCache,
  mirror?: Mirror,
): HealthCheck[] {
  const checks: HealthCheck[] = [];
  const { storagedriver } = config.health;
  if (storagedriver.enabled) {
    checks.push(
      new PeriodicCheck("storage", true, storageProbe(driver), {
        interval: storagedriver.interval,
        threshold: storagedriver.threshold,
      }),
    );
  }
  const redis = cache?.redis;
  if (redis) checks.push(new OnDemandCheck("redis", false, async () => void (await redis.ping())));
  for (const upstream of mirror?.router.upstreams ?? []) {
    checks.push(
      new OnDemandCheck(
        `upstream ${upstream.prefix || upstream.client.host}`,
        false,
        upstreamProbe(() => upstream.client.ping()),
      ),
    );
  }
  return checks;
}

/** `http.prefix` as Distribution writes it (`/registry/`) becomes `/registry`; `/` becomes empty. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, "");
  if (trimmed === "") return "";
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}
