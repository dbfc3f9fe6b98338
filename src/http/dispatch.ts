import type { Logger } from "../log.ts";
import { registryError } from "../registry/errors.ts";
import type { Namespace } from "../registry/interfaces.ts";
import { handleBlob } from "./blobs.ts";
import {
  type HandlerContext,
  jsonResponse,
  makeContext,
  type RegistryHttpOptions,
} from "./context.ts";
import { errorResponse } from "./errors.ts";
import { handleCatalog, handleReferrers, handleTags } from "./listings.ts";
import { handleManifest } from "./manifests.ts";
import { allowedMethods, matchRoute, type Route } from "./router.ts";
import { handleUpload, handleUploadStart } from "./uploads.ts";

export type RegistryHandler = (request: Request) => Promise<Response>;

/** Routes a `/v2/...` request to its resource handler; every failure becomes an OCI error. */
export function createRegistryHandler(
  namespace: Namespace,
  logger: Logger,
  options: RegistryHttpOptions,
): RegistryHandler {
  const v2 = `${options.prefix}/v2`;
  return async (request) => {
    const { path, query } = splitURL(request.url);
    const route = path.startsWith(v2) ? matchRoute(path.slice(v2.length)) : undefined;
    try {
      if (!route)
        throw registryError("NAME_UNKNOWN", "no such route", { path: path.slice(0, 300) }, 404);
      if (!allowedMethods[route.kind].includes(request.method)) {
        throw registryError(
          "UNSUPPORTED",
          `method ${request.method} not allowed here`,
          undefined,
          405,
        );
      }
      return await serve(makeContext(request, namespace, logger, options, query), route);
    } catch (err) {
      return errorResponse(err, logger);
    }
  };
}

function serve(ctx: HandlerContext, route: Route): Promise<Response> | Response {
  switch (route.kind) {
    case "base":
      return jsonResponse({});
    case "catalog":
      return handleCatalog(ctx);
    case "blob":
      return handleBlob(ctx, route.name, route.digest);
    case "uploads":
      return handleUploadStart(ctx, route.name);
    case "upload":
      return handleUpload(ctx, route.name, route.id);
    case "manifest":
      return handleManifest(ctx, route.name, route.reference);
    case "tags":
      return handleTags(ctx, route.name);
    case "referrers":
      return handleReferrers(ctx, route.name, route.digest);
  }
}

/** Path and query of a request URL without building a URL object on the hot path. */
function splitURL(url: string): { path: string; query: URLSearchParams } {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const q = url.indexOf("?", start);
  if (q === -1) return { path: url.slice(start), query: new URLSearchParams() };
  return { path: url.slice(start, q), query: new URLSearchParams(url.slice(q + 1)) };
}
