import { Elysia } from "elysia";
import type { Logger } from "../../log.ts";
import { registryError } from "../../registry/errors.ts";
import { errorResponse } from "../errors.ts";

const readMethods = new Set(["GET", "HEAD", "OPTIONS"]);

/** `storage.maintenance.readonly.enabled`: every write answers 405 UNSUPPORTED, reads go on. */
export function readOnly(enabled: boolean, logger: Logger) {
  const plugin = new Elysia({ name: "skiff.readonly" });
  if (!enabled) return plugin;
  return plugin.onBeforeHandle({ as: "global" }, ({ request }) => {
    if (readMethods.has(request.method)) return undefined;
    const err = registryError(
      "UNSUPPORTED",
      "the registry is in read-only mode (storage.maintenance.readonly)",
    );
    return errorResponse(err, logger);
  });
}
