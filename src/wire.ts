import { type Config, selectedStorageDriver } from "./config/schema.ts";
import { createApp } from "./http/app.ts";
import type { Logger } from "./log.ts";
import { createMirror, type Mirror, upstreamConfigs } from "./proxy/wire.ts";
import type { Namespace } from "./registry/interfaces.ts";
import { CachedBlobStatter, CacheHealth } from "./storage/cache/cachedstatter.ts";
import { createDescriptorCache, type DescriptorCache } from "./storage/cache/provider.ts";
import type { StorageDriver } from "./storage/driver/driver.ts";
import { FilesystemDriver } from "./storage/driver/filesystem.ts";
import { InMemoryDriver } from "./storage/driver/inmemory.ts";
import { LocalNamespace, type LocalNamespaceOptions } from "./storage/registry.ts";

/** Everything a running registry is made of, built in one place from the config. */
export interface Registry {
  readonly app: ReturnType<typeof createApp>;
  readonly namespace: Namespace;
  readonly hosted: LocalNamespace;
  readonly driver: StorageDriver;
  readonly cache?: DescriptorCache;
  readonly mirror?: Mirror;
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
    default:
      throw new Error(`storage driver "${name}" is not available in this build`);
  }
}

/** Seams for tests: a fake clock for expiry. */
export interface RegistryOverrides {
  readonly now?: () => number;
}

export function buildRegistry(
  config: Config,
  logger: Logger,
  driver: StorageDriver = createDriver(config),
  overrides: RegistryOverrides = {},
): Registry {
  const cache = createDescriptorCache(config, logger);
  const cacheHealth = new CacheHealth(logger);
  const local: LocalNamespaceOptions = {
    driver,
    deleteEnabled: config.storage.delete.enabled,
    redirect: !config.storage.redirect.disable,
    cachedStatter: cache
      ? (repository, storage) =>
          new CachedBlobStatter(
            cache.provider.repositoryScoped(repository),
            storage,
            undefined,
            cacheHealth,
          )
      : undefined,
  };
  const hosted = new LocalNamespace(local);
  const upstreams = upstreamConfigs(config);
  const mirror =
    upstreams.length > 0
      ? createMirror({ upstreams, driver, hosted, local, logger, now: overrides.now })
      : undefined;
  const namespace = mirror?.namespace ?? hosted;
  const app = createApp({
    namespace,
    logger,
    http: {
      prefix: normalizePrefix(config.http.prefix),
      host: config.http.host,
      relativeURLs: config.http.relativeurls,
    },
    headers: config.http.headers,
    readOnly: config.storage.maintenance.readonly.enabled,
    accessLog: !config.log.accesslog.disabled,
  });
  return {
    app,
    namespace,
    hosted,
    driver,
    cache,
    mirror,
    start: async () => mirror?.scheduler.start(),
    close: async () => {
      mirror?.scheduler.stop();
      await cache?.close();
    },
  };
}

/** `http.prefix` as Distribution writes it (`/registry/`) becomes `/registry`; `/` becomes empty. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, "");
  if (trimmed === "") return "";
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}
