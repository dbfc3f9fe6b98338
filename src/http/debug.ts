import { Elysia } from "elysia";
import type { Health } from "../health/health.ts";
import type { Metrics } from "../metrics/metrics.ts";
import { healthResponse } from "./health.ts";

export interface DebugAppOptions {
  readonly health: Health;
  readonly metrics?: Metrics;
  /** `http.debug.prometheus.path`, served when metrics are enabled. */
  readonly metricsPath: string;
}

/** The debug listener (`http.debug.addr`): Prometheus metrics and the detailed health report. */
export function createDebugApp(options: DebugAppOptions) {
  const app = new Elysia({ handler: { standardHostname: false } }).get("/debug/health", () =>
    healthResponse(options.health),
  );
  const { metrics } = options;
  if (!metrics) return app;
  return app.get(
    options.metricsPath,
    async () =>
      new Response(await metrics.text(), { headers: { "Content-Type": metrics.contentType } }),
  );
}
