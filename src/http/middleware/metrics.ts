import { Elysia } from "elysia";
import type { Metrics } from "../../metrics/metrics.ts";
import { matchRoute, type RouteKind } from "../router.ts";

/** Distribution's handler names: bounded label values, never repository names. */
const handlerNames: Record<RouteKind, string> = {
  base: "base",
  catalog: "catalog",
  blob: "blob",
  uploads: "blob_upload",
  upload: "blob_upload_chunk",
  manifest: "manifest",
  tags: "tags",
  referrers: "referrers",
};

export function handlerOf(url: string, prefix: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const query = url.indexOf("?", start);
  const path = url.slice(start, query === -1 ? undefined : query);
  const v2 = `${prefix}/v2`;
  if (!path.startsWith(v2)) return "other";
  const route = matchRoute(path.slice(v2.length));
  return route ? handlerNames[route.kind] : "unknown";
}

/** Request counts, latencies, sizes and in-flight requests per route template. */
export function httpMetrics(
  metrics: Metrics | undefined,
  prefix: string,
  answered?: WeakMap<Request, Response>,
) {
  const plugin = new Elysia({ name: "skiff.metrics" });
  if (!metrics) return plugin;
  const started = new WeakMap<Request, { at: number; handler: string }>();
  return plugin
    .onRequest(({ request }) => {
      const handler = handlerOf(request.url, prefix);
      started.set(request, { at: performance.now(), handler });
      metrics.httpInFlight.inc({ handler });
    })
    .onAfterResponse({ as: "global" }, ({ request, responseValue }) => {
      const start = started.get(request);
      if (!start) return;
      const { handler } = start;
      const method = request.method;
      const response = responseValue instanceof Response ? responseValue : answered?.get(request);
      metrics.httpInFlight.dec({ handler });
      metrics.httpRequests.inc({ code: String(response?.status ?? 500), handler, method });
      metrics.httpDuration.observe({ handler, method }, (performance.now() - start.at) / 1000);
      metrics.httpRequestSize.observe(
        { handler, method },
        Number(request.headers.get("content-length") ?? 0),
      );
      metrics.httpResponseSize.observe(
        { handler, method },
        Number(response?.headers.get("content-length") ?? 0),
      );
    });
}
