import { Elysia } from "elysia";
import type { Authenticator } from "../auth/authenticator.ts";
import { Health } from "../health/health.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics/metrics.ts";
import { registryError } from "../registry/errors.ts";
import type { Namespace } from "../registry/interfaces.ts";
import type { RegistryHttpOptions } from "./context.ts";
import { createRegistryHandler } from "./dispatch.ts";
import { errorResponse } from "./errors.ts";
import { healthResponse } from "./health.ts";
import { accessLog } from "./middleware/accesslog.ts";
import { authentication } from "./middleware/auth.ts";
import { registryHeaders } from "./middleware/headers.ts";
import { httpMetrics } from "./middleware/metrics.ts";
import { readOnly } from "./middleware/readonly.ts";
import { uploadLimit } from "./middleware/uploadlimit.ts";

export interface AppOptions {
  readonly namespace: Namespace;
  readonly logger: Logger;
  readonly http: RegistryHttpOptions;
  readonly headers: Record<string, readonly string[]>;
  readonly readOnly: boolean;
  readonly accessLog: boolean;
  readonly metrics?: Metrics;
  /** Answers `/healthz` on the main listener; no checks = always healthy. */
  readonly health?: Health;
  /** Who may do what; none = an open registry. */
  readonly authenticator?: Authenticator;
  /** Served over HTTPS (request URLs start with `https://`). */
  readonly tls?: boolean;
  /** Upload requests one client address may have in flight (0 = no limit). */
  readonly maxConcurrentUploads?: number;
}

/** The HTTP application: middleware plugins, then every `/v2` route through one dispatcher. */
export function createApp(options: AppOptions) {
  const handle = createRegistryHandler(options.namespace, options.logger, options.http);
  const health = options.health ?? new Health([]);
  // Who each request authenticated as, for the access log.
  const identities = new WeakMap<Request, string>();
  // Responses made by the error handler, which after-response hooks do not receive.
  const answered = new WeakMap<Request, Response>();
  // Blob routes stream request bodies themselves: Elysia must not parse them.
  const raw = { parse: "none" } as const;
  // Elysia finds the path at a fixed offset: 7 fits every `http://` URL (even a one-letter
  // Host); over TLS the scheme is one letter longer, and the default offset fits `https://`.
  return new Elysia({ handler: { standardHostname: options.tls === true } })
    .use(httpMetrics(options.metrics, options.http.prefix, answered))
    .use(accessLog(options.logger, options.accessLog, identities, answered))
    .use(registryHeaders(options.headers))
    .use(authentication(options.authenticator, options.http.prefix, options.logger, identities))
    .use(readOnly(options.readOnly, options.logger))
    .use(uploadLimit(options.maxConcurrentUploads ?? 0, options.logger))
    .get("/healthz", () => healthResponse(health))
    .all(`${options.http.prefix}/v2`, ({ request }) => handle(request), raw)
    .all(`${options.http.prefix}/v2/*`, ({ request }) => handle(request), raw)
    .onError(({ code, error, request }) => {
      const response =
        code === "NOT_FOUND"
          ? errorResponse(
              registryError("NAME_UNKNOWN", "no such route", undefined, 404),
              options.logger,
            )
          : errorResponse(error, options.logger);
      answered.set(request, response);
      return response;
    });
}

export type App = ReturnType<typeof createApp>;
