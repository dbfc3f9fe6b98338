import type { Config } from "./config/schema.ts";
import { createDebugApp } from "./http/debug.ts";
import type { Logger } from "./log.ts";
import { waitUntilReady } from "./storage/cache/redisclient.ts";
import { buildRegistry, type Registry } from "./wire.ts";

export interface RunningServer {
  readonly url: string;
  /** The debug listener (metrics, detailed health) when `http.debug.addr` is set. */
  readonly debugURL?: string;
  readonly registry: Registry;
  /** Stops accepting, lets in-flight requests finish for up to `http.draintimeout`, then closes. */
  shutdown(): Promise<void>;
}

/**
 * Elysia listens with SO_REUSEPORT by default: a second registry started on a busy port would
 * silently share it, and the kernel would spread one client's requests over both (an upload
 * started on one is unknown to the other). A busy port is an error, as in Distribution.
 */
const exclusivePort = { reusePort: false } as const;

/** Splits Go-style listen addresses: `:5000`, `127.0.0.1:5000`, `[::1]:5000`. */
export function parseListenAddress(addr: string): { hostname: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr.trim());
  if (!m) throw new Error(`http.addr: cannot parse listen address ${JSON.stringify(addr)}`);
  const hostname = m[1] ?? (m[2] || "0.0.0.0");
  return { hostname, port: Number(m[3]) };
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const registry = buildRegistry(config, logger);
  await registry.start();
  // Give Redis one dial timeout to connect so the first requests hit the cache; never more,
  // since the registry works without it.
  if (registry.cache?.redis)
    await waitUntilReady(registry.cache.redis, config.redis?.dialtimeout ?? 1000);
  let server: Bun.Server<unknown> | undefined;
  let debug: Bun.Server<unknown> | undefined;
  try {
    server = listenMain(config, registry);
    debug = startDebugServer(config, registry);
  } catch (err) {
    // A port in use: nothing may keep running behind the error.
    await server?.stop(true);
    await registry.close();
    throw err;
  }
  const url = `${config.http.tls.certificate ? "https" : "http"}://${server.hostname}:${server.port}`;
  logger.info("listening", {
    addr: `${server.hostname}:${server.port}`,
    storage: registry.driver.name,
  });
  if (debug)
    logger.info("debug server listening", {
      addr: `${debug.hostname}:${debug.port}`,
      metrics: registry.metrics !== undefined,
    });
  let stopping: Promise<void> | undefined;
  const listening = server;
  const shutdown = (): Promise<void> => {
    stopping ??= drain(listening, config.http.draintimeout, logger).then(async () => {
      await debug?.stop(true);
      await registry.close();
    });
    return stopping;
  };
  return {
    url,
    debugURL: debug ? `http://${debug.hostname}:${debug.port}` : undefined,
    registry,
    shutdown,
  };
}

function listenMain(config: Config, registry: Registry): Bun.Server<unknown> {
  const { hostname, port } = parseListenAddress(config.http.addr);
  const app = registry.app.listen({
    hostname,
    port,
    ...exclusivePort,
    // Uploads are streamed to storage, so the body size is not bounded by memory.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    idleTimeout: idleTimeoutSeconds(config.http.idletimeout),
    ...tlsOptions(config),
  });
  if (!app.server) throw new Error("server did not start");
  return app.server;
}

/** Bun closes connections silent for this long; it takes whole seconds, 1 to 255. */
function idleTimeoutSeconds(ms: number): number {
  return Math.min(255, Math.max(1, Math.round(ms / 1000)));
}

/** `http.tls`: serve HTTPS with the configured certificate chain and key. */
function tlsOptions(config: Config): { tls?: { cert: Bun.BunFile; key: Bun.BunFile } } {
  const { certificate, key, minimumtls } = config.http.tls;
  if (!certificate && !key) return {};
  if (!certificate || !key) throw new Error("http.tls needs both certificate and key");
  // Bun negotiates TLS 1.2 and 1.3 and cannot be told to refuse 1.2: say so rather than pretend.
  if (minimumtls && !["tls1.0", "tls1.1", "tls1.2"].includes(minimumtls)) {
    throw new Error(
      `http.tls.minimumtls: ${minimumtls} cannot be enforced by skiff (TLS 1.2 and 1.3 are accepted)`,
    );
  }
  return { tls: { cert: Bun.file(certificate), key: Bun.file(key) } };
}

function startDebugServer(config: Config, registry: Registry): Bun.Server<unknown> | undefined {
  if (!config.http.debug.addr) return undefined;
  const { hostname, port } = parseListenAddress(config.http.debug.addr);
  const app = createDebugApp({
    health: registry.health,
    metrics: registry.metrics,
    metricsPath: config.http.debug.prometheus.path,
  }).listen({ hostname, port, ...exclusivePort });
  return app.server ?? undefined;
}

async function drain(
  server: Bun.Server<unknown>,
  timeoutMs: number,
  logger: Logger,
): Promise<void> {
  logger.info("shutting down: draining in-flight requests", { draintimeout_ms: timeoutMs });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const graceful = server.stop(false);
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), Math.max(0, timeoutMs));
  });
  const outcome = await Promise.race([graceful.then(() => "drained" as const), deadline]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    logger.warn("drain timeout reached: closing remaining connections");
    await server.stop(true);
  }
}
