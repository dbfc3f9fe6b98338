import { Cluster, type Redis } from "ioredis";
import type {
  BlobDescriptorService,
  BlobDescriptorServiceProvider,
  Descriptor,
} from "../../registry/descriptor.ts";
import { type Digest, isDigest } from "../../registry/digest.ts";
import {
  blobUnknown,
  checkDescriptor,
  checkDigest,
  checkKeyMatches,
  checkRepository,
} from "./validate.ts";

export type RedisClient = Redis | Cluster;

/** Distribution's key schema, so skiff and Distribution can share one Redis. */
export const redisKeys = {
  blob: (digest: string) => `blobs::${digest}`,
  repositoryBlobs: (name: string) => `repository::${name}::blobs`,
  repositoryBlob: (name: string, digest: string) => `repository::${name}::blobs::${digest}`,
};

type Command = [string, ...string[]];

/**
 * Sends commands that belong together in one round trip: a MULTI/EXEC transaction on a single
 * server; on a cluster, where the keys live in different slots, concurrent commands that the
 * client's auto-pipelining batches per node.
 */
async function batch(redis: RedisClient, commands: Command[]): Promise<unknown[]> {
  if (redis instanceof Cluster)
    return Promise.all(commands.map(([name, ...args]) => redis.call(name, ...args)));
  const results = await redis.multi(commands).exec();
  if (!results) throw new Error("redis transaction aborted");
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

/** A descriptor from `HMGET digest size mediatype`, or a miss when the entry is not usable. */
function descriptorFrom(
  reply: (string | null)[],
  digest: Digest,
  override?: string | null,
): Descriptor {
  const [storedDigest, storedSize, mediaType] = reply;
  const size = Number(storedSize);
  // Older data stored "length" instead of "size"; that, or an entry nobody could have written,
  // is a miss: storage answers and the fill overwrites it.
  if (storedDigest == null || !isDigest(storedDigest)) throw blobUnknown(digest);
  if (storedSize == null || storedSize === "" || !Number.isSafeInteger(size) || size < 0)
    throw blobUnknown(digest);
  return { digest: storedDigest, size, mediaType: override || mediaType || "" };
}

const setCommands = (key: string, descriptor: Descriptor): Command[] => [
  ["hset", redisKeys.blob(key), "digest", descriptor.digest, "size", String(descriptor.size)],
  ["hsetnx", redisKeys.blob(key), "mediatype", descriptor.mediaType],
];

/**
 * `blobs::<digest>` holds the global descriptor (`digest`, `size`, and `mediatype` set only
 * if absent); `repository::<name>::blobs` is the set of digests linked in a repository, and
 * `repository::<name>::blobs::<digest>` holds that repository's media type override.
 */
export class RedisBlobDescriptorCacheProvider implements BlobDescriptorServiceProvider {
  constructor(private readonly redis: RedisClient) {}

  async stat(digest: Digest): Promise<Descriptor> {
    const reply = await this.redis.hmget(
      redisKeys.blob(checkDigest(digest)),
      "digest",
      "size",
      "mediatype",
    );
    return descriptorFrom(reply, digest);
  }

  async setDescriptor(digest: Digest, descriptor: Descriptor): Promise<void> {
    checkDigest(digest);
    checkDescriptor(descriptor);
    await batch(this.redis, setCommands(digest, descriptor));
  }

  /** Deletes the whole hash, fields of older versions (`length`) included. */
  async clear(digest: Digest): Promise<void> {
    const removed = await this.redis.del(redisKeys.blob(checkDigest(digest)));
    if (removed === 0) throw blobUnknown(digest);
  }

  repositoryScoped(name: string): BlobDescriptorService {
    return new RepositoryScopedRedisCache(this.redis, checkRepository(name));
  }
}

class RepositoryScopedRedisCache implements BlobDescriptorService {
  constructor(
    private readonly redis: RedisClient,
    private readonly repository: string,
  ) {}

  /** Membership, global descriptor and override in one round trip. */
  async stat(digest: Digest): Promise<Descriptor> {
    checkDigest(digest);
    const [member, reply, override] = (await batch(this.redis, [
      ["sismember", redisKeys.repositoryBlobs(this.repository), digest],
      ["hmget", redisKeys.blob(digest), "digest", "size", "mediatype"],
      ["hget", redisKeys.repositoryBlob(this.repository, digest), "mediatype"],
    ])) as [number, (string | null)[], string | null];
    if (member !== 1) throw blobUnknown(digest);
    return descriptorFrom(reply, digest, override);
  }

  async setDescriptor(digest: Digest, descriptor: Descriptor): Promise<void> {
    checkDigest(digest);
    checkDescriptor(descriptor);
    checkKeyMatches(digest, descriptor);
    const keys = descriptor.digest === digest ? [digest] : [digest, descriptor.digest];
    await batch(
      this.redis,
      keys.flatMap((key): Command[] => [
        ["sadd", redisKeys.repositoryBlobs(this.repository), key],
        ...setCommands(key, descriptor),
        ["hset", redisKeys.repositoryBlob(this.repository, key), "mediatype", descriptor.mediaType],
      ]),
    );
  }

  async clear(digest: Digest): Promise<void> {
    checkDigest(digest);
    const [removed] = await batch(this.redis, [
      ["srem", redisKeys.repositoryBlobs(this.repository), digest],
      ["del", redisKeys.repositoryBlob(this.repository, digest)],
    ]);
    if (removed === 0) throw blobUnknown(digest);
  }
}
