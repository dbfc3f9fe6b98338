import { Elysia } from "elysia";
import type { Logger } from "../../log.ts";

/**
 * One access-log line per request and an `X-Request-Id` on every response (the client's own
 * when it sent one, so a request can be followed through proxies).
 */
export function accessLog(
  logger: Logger,
  enabled: boolean,
  identities?: WeakMap<Request, string>,
  answered?: WeakMap<Request, Response>,
  now: () => number = performance.now.bind(performance),
) {
  const started = new WeakMap<Request, { at: number; id: string; remote?: string }>();
  return new Elysia({ name: "skiff.accesslog" })
    .onRequest(({ request, server }) => {
      const id = request.headers.get("x-request-id")?.slice(0, 200) || crypto.randomUUID();
      // The peer address costs a native call per request; only a written log line needs it.
      const remote = enabled ? server?.requestIP(request)?.address : undefined;
      started.set(request, { at: now(), id, remote });
    })
    .onAfterHandle({ as: "global" }, ({ request, responseValue }) => {
      const id = started.get(request)?.id;
      if (id && responseValue instanceof Response) responseValue.headers.set("X-Request-Id", id);
    })
    .onAfterResponse({ as: "global" }, ({ request, responseValue }) => {
      const start = started.get(request);
      if (!enabled || !start) return;
      const response = responseValue instanceof Response ? responseValue : answered?.get(request);
      const url = request.url;
      const pathStart = url.indexOf("/", url.indexOf("//") + 2);
      logger.info("request", {
        method: request.method,
        path: url.slice(
          pathStart,
          url.indexOf("?", pathStart) === -1 ? undefined : url.indexOf("?", pathStart),
        ),
        status: response?.status ?? 500,
        bytes: Number(response?.headers.get("content-length") ?? 0),
        duration_ms: Math.round((now() - start.at) * 100) / 100,
        request_id: start.id,
        remote: start.remote ?? "-",
        user: identities?.get(request) ?? "-",
      });
    });
}
