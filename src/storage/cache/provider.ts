import type { Config } from "../../config/schema.ts";
import type { Logger } from "../../log.ts";
import type { BlobDescriptorServiceProvider } from "../../registry/descriptor.ts";
import { InMemoryBlobDescriptorCacheProvider } from "./inmemory.ts";
import { RedisBlobDescriptorCacheProvider, type RedisClient } from "./redis.ts";
import { createRedisClient, type RedisClientOptions } from "./redisclient.ts";

export interface DescriptorCache {
  readonly provider: BlobDescriptorServiceProvider;
  readonly redis?: RedisClient;
  close(): Promise<void>;
}

/** The descriptor cache `storage.cache.blobdescriptor` asks for, or none. */
export function createDescriptorCache(
  config: Config,
  logger: Logger,
  onCommand?: RedisClientOptions["onCommand"],
): DescriptorCache | undefined {
  const kind = config.storage.cache.blobdescriptor;
  if (kind === "inmemory") {
    return {
      provider: new InMemoryBlobDescriptorCacheProvider({
        size: config.storage.cache.blobdescriptorsize,
      }),
      close: async () => {},
    };
  }
  if (kind !== "redis") return undefined;
  const redis = config.redis;
  if (!redis?.addr && !redis?.addrs?.length)
    throw new Error("storage.cache.blobdescriptor is redis but redis.addr is not set");
  // redis.pool is not passed on: see RedisClientOptions (one pipelined connection, no pool).
  const client = createRedisClient({
    addr: redis.addr,
    addrs: redis.addrs,
    mastername: redis.mastername,
    cluster: redis.cluster,
    username: redis.username,
    password: redis.password,
    db: redis.db,
    dialtimeout: redis.dialtimeout,
    readtimeout: redis.readtimeout,
    writetimeout: redis.writetimeout,
    tls: redis.tls.enabled,
    onCommand,
  });
  logger.info("blob descriptor cache: redis", { addr: redis.addr ?? redis.addrs?.join(",") });
  return {
    provider: new RedisBlobDescriptorCacheProvider(client),
    redis: client,
    close: async () => {
      client.disconnect();
    },
  };
}
