import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";
import type { RedisClient } from "./redis.ts";

/**
 * The `redis` section of the config, as plain values (durations in ms). Distribution's
 * `pool` settings have no ioredis equivalent: one pipelined connection per server carries
 * every request, so there is nothing to bound or to idle out.
 */
export interface RedisClientOptions {
  readonly addr?: string;
  /** Several addresses: cluster nodes, or sentinels when `mastername` is set. */
  readonly addrs?: readonly string[];
  /** Sentinel mode: the name of the master the sentinels watch. */
  readonly mastername?: string;
  readonly cluster?: boolean;
  readonly username?: string;
  readonly password?: string;
  readonly db?: number;
  readonly dialtimeout?: number;
  readonly readtimeout?: number;
  readonly writetimeout?: number;
  readonly tls?: boolean;
  /** Observes every command's latency (seconds) and whether it failed, for the metrics. */
  readonly onCommand?: (command: string, seconds: number, failed: boolean) => void;
}

export interface RedisAddress {
  readonly host: string;
  readonly port: number;
}

/** How the client will be built; separate from building it so it can be checked offline. */
export type RedisConnectionPlan =
  | { readonly kind: "standalone"; readonly options: RedisOptions }
  | { readonly kind: "sentinel"; readonly options: RedisOptions }
  | {
      readonly kind: "cluster";
      readonly nodes: readonly RedisAddress[];
      readonly options: ClusterOptions;
    };

const defaults = { dialtimeout: 1000, readtimeout: 500, writetimeout: 500 };
const maxReconnectDelayMs = 2000;

/** `host:port`, `[v6addr]:port` or a bare host (port 6379). */
export function parseRedisAddress(addr: string): RedisAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(addr.trim());
  const port = Number(match?.[3] ?? 6379);
  if (!match || port < 1 || port > 65_535)
    throw new Error(`redis: cannot parse address ${JSON.stringify(addr)}`);
  return { host: (match[1] ?? match[2]) as string, port };
}

/** Reconnects in the background: 50 ms, doubling, never more than two seconds apart. */
export const reconnectDelay = (attempt: number): number =>
  Math.min(50 * 2 ** Math.min(attempt, 16), maxReconnectDelayMs);

/**
 * Options that keep a slow or absent Redis from holding a request longer than the configured
 * timeouts: no offline queue (a command while disconnected fails at once), no retries per
 * request, a command timeout of the longer of the read and write timeouts, and commands that
 * already failed are never re-sent after a reconnect (a fill reported as failed must not land
 * later, possibly after the blob was deleted).
 */
function connectionOptions(options: RedisClientOptions): RedisOptions {
  return {
    username: options.username || undefined,
    password: options.password || undefined,
    db: options.db ?? 0,
    connectTimeout: options.dialtimeout ?? defaults.dialtimeout,
    commandTimeout: Math.max(
      options.readtimeout ?? defaults.readtimeout,
      options.writetimeout ?? defaults.writetimeout,
    ),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableAutoPipelining: true,
    retryStrategy: reconnectDelay,
    tls: options.tls ? {} : undefined,
  };
}

export function planRedisConnection(options: RedisClientOptions): RedisConnectionPlan {
  const common = connectionOptions(options);
  const addrs = options.addrs?.length ? options.addrs : [options.addr ?? "127.0.0.1:6379"];
  const addresses = addrs.map(parseRedisAddress);
  if (options.cluster) {
    return {
      kind: "cluster",
      nodes: addresses,
      options: {
        redisOptions: common,
        enableOfflineQueue: false,
        enableAutoPipelining: true,
        clusterRetryStrategy: reconnectDelay,
        slotsRefreshTimeout: common.connectTimeout,
      },
    };
  }
  if (options.mastername) {
    return {
      kind: "sentinel",
      options: {
        ...common,
        sentinels: addresses.map(({ host, port }) => ({ host, port })),
        name: options.mastername,
        sentinelRetryStrategy: reconnectDelay,
        sentinelCommandTimeout: common.commandTimeout,
        enableTLSForSentinelMode: options.tls ?? false,
        sentinelTLS: options.tls ? {} : undefined,
      },
    };
  }
  const [address] = addresses as [RedisAddress];
  return { kind: "standalone", options: { ...common, ...address } };
}

/** An ioredis client (single server, Sentinel or Cluster) tuned for a cache: see above. */
export function createRedisClient(options: RedisClientOptions): RedisClient {
  const plan = planRedisConnection(options);
  const client =
    plan.kind === "cluster"
      ? new Cluster(
          plan.nodes.map(({ host, port }) => ({ host, port })),
          plan.options,
        )
      : new Redis(plan.options);
  // Connection errors are expected while Redis is down: requests fall back to storage and
  // the cached statter reports the outage. Listening here keeps them from being thrown.
  client.on("error", () => {});
  if (options.onCommand) observeCommands(client, options.onCommand);
  return client;
}

interface SentCommand {
  readonly name: string;
  readonly promise: Promise<unknown>;
}

/** Times every command from the moment it is handed to the connection until it settles. */
function observeCommands(
  client: RedisClient,
  onCommand: NonNullable<RedisClientOptions["onCommand"]>,
): void {
  const target = client as unknown as {
    sendCommand: (command: SentCommand, ...rest: unknown[]) => unknown;
  };
  const send = target.sendCommand.bind(client);
  target.sendCommand = (command, ...rest) => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    const result = send(command, ...rest);
    command.promise.then(
      () => onCommand(command.name, seconds(), false),
      () => onCommand(command.name, seconds(), true),
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
