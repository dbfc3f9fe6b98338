import type { Logger } from "../log.ts";
import type { Namespace, Repository } from "../registry/interfaces.ts";

export interface RegistryHttpOptions {
  /** Path prefix the registry is served under (`http.prefix`), without trailing slash. */
  readonly prefix: string;
  /** Externally visible base URL for `Location` headers (`http.host`); empty = from the request. */
  readonly host: string;
  readonly relativeURLs: boolean;
}

/** What a resource handler sees of a request. */
export interface HandlerContext {
  readonly request: Request;
  readonly method: string;
  readonly query: URLSearchParams;
  readonly namespace: Namespace;
  readonly logger: Logger;
  /** The repository a route names (routed by `?ns=` when a mirror claims that registry). */
  repository(name: string): Repository;
  /** Absolute or relative URL (per config) for a path under `/v2`. */
  url(path: string): string;
  /** The server-relative path of a path under `/v2`. */
  path(path: string): string;
}

export function makeContext(
  request: Request,
  namespace: Namespace,
  logger: Logger,
  options: RegistryHttpOptions,
  query: URLSearchParams,
): HandlerContext {
  let base: string | undefined;
  return {
    request,
    method: request.method,
    query,
    namespace,
    logger,
    repository: (name: string) => namespace.repository(name, { ns: query.get("ns") ?? undefined }),
    url(path: string): string {
      base ??= options.relativeURLs ? "" : externalBase(request, options.host);
      return `${base}${options.prefix}/v2${path}`;
    },
    path: (path: string): string => `${options.prefix}/v2${path}`,
  };
}

function externalBase(request: Request, configuredHost: string): string {
  if (configuredHost) return configuredHost.replace(/\/+$/, "");
  const url = new URL(request.url);
  const proto =
    request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim() || url.protocol.slice(0, -1);
  const host =
    request.headers.get("x-forwarded-host")?.split(",")[0]?.trim() ||
    request.headers.get("host") ||
    url.host;
  return `${proto}://${host}`;
}

export const noBody = (status: number, headers?: Record<string, string>): Response =>
  new Response(null, { status, headers: { "Content-Length": "0", ...headers } });

export function jsonResponse(
  value: unknown,
  status = 200,
  headers?: Record<string, string>,
): Response {
  const body = JSON.stringify(value);
  return new Response(body, {
    status,
    headers: {
      "Content-Type": "application/json",
      "Content-Length": String(Buffer.byteLength(body)),
      ...headers,
    },
  });
}
