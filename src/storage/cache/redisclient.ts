import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { RedisClient } from "./redis.ts";

export interface RedisClientOptions {
  readonly addr?: string;
  /** Several addresses: cluster nodes, or sentinels when `mastername` is set. */
  readonly addrs?: readonly string[];
  readonly mastername?: string;
  readonly cluster?: boolean;
  readonly username?: string;
  readonly password?: string;
  readonly db?: number;
  readonly dialtimeout?: number;
  readonly readtimeout?: number;
  readonly writetimeout?: number;
  readonly tls?: boolean;
  /** Observes every command's latency (seconds), for the metrics. */
  readonly onCommand?: (command: string, seconds: number, failed: boolean) => void;
}

function hostPort(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(addr.trim());
  if (!m) throw new Error(`redis: cannot parse address ${JSON.stringify(addr)}`);
  return { host: m[1] ?? m[2] ?? "127.0.0.1", port: Number(m[3] ?? 6379) };
}

/**
 * An ioredis client tuned so a slow or absent Redis never holds a request longer than the
 * configured timeouts: no offline queue, no per-request retries, short command timeout;
 * reconnection happens in the background with a capped backoff.
 */
export function createRedisClient(options: RedisClientOptions): RedisClient {
  const common: RedisOptions = {
    username: options.username || undefined,
    password: options.password || undefined,
    db: options.db ?? 0,
    connectTimeout: options.dialtimeout ?? 1000,
    commandTimeout: Math.max(options.readtimeout ?? 500, options.writetimeout ?? 500),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    enableAutoPipelining: true,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
    tls: options.tls ? {} : undefined,
  };
  const addrs = options.addrs?.length ? options.addrs : [options.addr ?? "127.0.0.1:6379"];
  let client: RedisClient;
  if (options.cluster) {
    client = new Cluster(addrs.map(hostPort), {
      redisOptions: common,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
    });
  } else if (options.mastername) {
    client = new Redis({ ...common, sentinels: addrs.map(hostPort), name: options.mastername });
  } else {
    client = new Redis({ ...common, ...hostPort(addrs[0] as string) });
  }
  // Connection errors are expected while Redis is down; requests fall back to storage.
  client.on("error", () => {});
  if (options.onCommand) observeCommands(client, options.onCommand);
  return client;
}

function observeCommands(
  client: RedisClient,
  onCommand: NonNullable<RedisClientOptions["onCommand"]>,
): void {
  const target = client as unknown as {
    sendCommand: (
      command: { name: string; promise: Promise<unknown> },
      ...rest: unknown[]
    ) => unknown;
  };
  const send = target.sendCommand.bind(client);
  target.sendCommand = (command, ...rest) => {
    const started = performance.now();
    const result = send(command, ...rest);
    command.promise.then(
      () => onCommand(command.name, (performance.now() - started) / 1000, false),
      () => onCommand(command.name, (performance.now() - started) / 1000, true),
    );
    return result;
  };
}

/** Resolves once the client is ready, or after `timeoutMs` either way: Redis may come later. */
export function waitUntilReady(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status === "ready") return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.off("ready", onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    client.once("ready", onReady);
  });
}
