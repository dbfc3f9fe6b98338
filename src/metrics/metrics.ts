import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { MirrorMetrics } from "../proxy/metrics.ts";
import type { CacheMetrics } from "../storage/cache/cachedstatter.ts";
import type { ActionObserver } from "../storage/driver/instrumented.ts";

/** Seconds buckets that resolve 50 µs to 100 ms: Redis answers in that range. */
const redisBuckets = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
];
const durationBuckets = [
  0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];
const sizeBuckets = [0, 512, 4096, 65536, 1 << 20, 16 << 20, 128 << 20, 1 << 30];

/**
 * Every metric skiff exports, in one prom-client registry. Names follow Distribution's where it
 * has them (`registry_*`), so existing dashboards keep working; skiff's own are `skiff_*`.
 * Handler labels are route templates, never repository names.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: "registry_http_requests_total",
    help: "HTTP requests by status code, handler and method.",
    labelNames: ["code", "handler", "method"],
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: "registry_http_request_duration_seconds",
    help: "HTTP request latency.",
    labelNames: ["handler", "method"],
    buckets: durationBuckets,
    registers: [this.registry],
  });
  readonly httpInFlight = new Gauge({
    name: "registry_http_in_flight_requests",
    help: "HTTP requests being served.",
    labelNames: ["handler"],
    registers: [this.registry],
  });
  readonly httpRequestSize = new Histogram({
    name: "registry_http_request_size_bytes",
    help: "Declared request body sizes.",
    labelNames: ["handler", "method"],
    buckets: sizeBuckets,
    registers: [this.registry],
  });
  readonly httpResponseSize = new Histogram({
    name: "registry_http_response_size_bytes",
    help: "Response body sizes.",
    labelNames: ["handler", "method"],
    buckets: sizeBuckets,
    registers: [this.registry],
  });
  readonly storageAction = new Histogram({
    name: "registry_storage_action_seconds",
    help: "Storage driver action latency.",
    labelNames: ["driver", "action"],
    buckets: durationBuckets,
    registers: [this.registry],
  });
  readonly cacheTotal = new Counter({
    name: "registry_storage_cache_total",
    help: "Blob descriptor cache requests, hits, misses and errors.",
    labelNames: ["type"],
    registers: [this.registry],
  });
  readonly redisCommand = new Histogram({
    name: "skiff_redis_command_duration_seconds",
    help: "Redis command latency.",
    labelNames: ["command", "outcome"],
    buckets: redisBuckets,
    registers: [this.registry],
  });
  readonly upstreamRequests = new Counter({
    name: "skiff_proxy_upstream_requests_total",
    help: "Requests the mirror made to upstreams.",
    labelNames: ["method", "code"],
    registers: [this.registry],
  });
  readonly proxyBytes = new Counter({
    name: "skiff_proxy_bytes_total",
    help: "Blob bytes the mirror served, by source.",
    labelNames: ["source"],
    registers: [this.registry],
  });
  readonly proxyJoins = new Counter({
    name: "skiff_proxy_singleflight_joins_total",
    help: "Clients that joined an upstream fetch already in flight.",
    registers: [this.registry],
  });
  readonly proxyExpiries = new Counter({
    name: "skiff_proxy_expiries_total",
    help: "Mirrored blobs and manifests expired.",
    labelNames: ["type"],
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }

  readonly storageObserver: ActionObserver = (driver, action, seconds) =>
    this.storageAction.observe({ driver, action }, seconds);

  readonly cache: CacheMetrics = { count: (type) => this.cacheTotal.inc({ type }) };

  readonly redisObserver = (command: string, seconds: number, failed: boolean): void =>
    this.redisCommand.observe({ command, outcome: failed ? "error" : "ok" }, seconds);

  readonly mirror: MirrorMetrics = {
    upstreamRequest: (method, status) =>
      this.upstreamRequests.inc({ method, code: String(status) }),
    bytesFromUpstream: (bytes) => this.proxyBytes.inc({ source: "upstream" }, bytes),
    bytesFromCache: (bytes) => this.proxyBytes.inc({ source: "cache" }, bytes),
    joined: () => this.proxyJoins.inc(),
    expired: (type) => this.proxyExpiries.inc({ type }),
  };

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
