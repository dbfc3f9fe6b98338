import { Elysia } from "elysia";
import type { Logger } from "../../log.ts";
import { registryError } from "../../registry/errors.ts";
import { errorResponse } from "../errors.ts";

const uploadPath = /\/blobs\/uploads(\/|$)/;
const writeMethods = new Set(["POST", "PATCH", "PUT"]);

/**
 * Caps the upload requests one client address may have in flight; beyond it, 429
 * TOOMANYREQUESTS. One client cannot tie up every connection with slow uploads.
 */
export function uploadLimit(maxPerClient: number, logger: Logger) {
  const plugin = new Elysia({ name: "skiff.uploadlimit" });
  if (maxPerClient <= 0) return plugin;
  const inFlight = new Map<string, number>();
  const counted = new WeakMap<Request, string>();
  const release = (request: Request) => {
    const remote = counted.get(request);
    if (remote === undefined) return;
    counted.delete(request);
    const left = (inFlight.get(remote) ?? 1) - 1;
    if (left <= 0) inFlight.delete(remote);
    else inFlight.set(remote, left);
  };
  return plugin
    .onBeforeHandle({ as: "global" }, ({ request, server }) => {
      if (!writeMethods.has(request.method) || !uploadPath.test(request.url)) return undefined;
      const remote = server?.requestIP(request)?.address ?? "unknown";
      const current = inFlight.get(remote) ?? 0;
      if (current >= maxPerClient) {
        const err = registryError(
          "TOOMANYREQUESTS",
          `at most ${maxPerClient} concurrent uploads per client`,
        );
        return errorResponse(err, logger, { "Retry-After": "1" });
      }
      inFlight.set(remote, current + 1);
      counted.set(request, remote);
      return undefined;
    })
    .onAfterResponse({ as: "global" }, ({ request }) => release(request))
    .onError({ as: "global" }, ({ request }) => release(request));
}
