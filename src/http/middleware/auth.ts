import { Elysia } from "elysia";
import { requiredAccess } from "../../auth/access.ts";
import type { Authenticator } from "../../auth/authenticator.ts";
import type { Logger } from "../../log.ts";
import { registryError } from "../../registry/errors.ts";
import { errorResponse } from "../errors.ts";
import { matchRoute } from "../router.ts";

/**
 * Authenticates every `/v2` request (`/v2/` included: clients learn the challenge there) and
 * checks the access its route needs. 401 carries the challenge; 403 means the identity is known
 * but lacks the access. Nothing runs before this, so a refused request writes nothing.
 */
export function authentication(
  authenticator: Authenticator | undefined,
  prefix: string,
  logger: Logger,
  identities?: WeakMap<Request, string>,
) {
  const plugin = new Elysia({ name: "skiff.auth" });
  if (!authenticator) return plugin;
  const v2 = `${prefix}/v2`;
  return plugin.onBeforeHandle({ as: "global" }, async ({ request, server }) => {
    const url = new URL(request.url);
    if (url.pathname !== v2 && !url.pathname.startsWith(`${v2}/`)) return undefined;
    const route = matchRoute(url.pathname.slice(v2.length));
    if (!route) return undefined;
    const access = requiredAccess(route, request.method, url.searchParams);
    const remote = server?.requestIP(request)?.address ?? "unknown";
    const result = await authenticator.authorize(request, access, remote);
    if (result.ok) {
      identities?.set(request, result.identity.user);
      return undefined;
    }
    const detail = access.map(({ type, name, action }) => ({
      Type: type,
      Name: name,
      Action: action,
    }));
    if (result.status === 403)
      return errorResponse(registryError("DENIED", result.message, detail), logger);
    return errorResponse(registryError("UNAUTHORIZED", result.message, detail), logger, {
      "WWW-Authenticate": result.challenge,
    });
  });
}
