import type { Logger } from "../log.ts";
import { RegistryError } from "../registry/errors.ts";
import { InvalidPathError, PathNotFoundError } from "../storage/driver/driver.ts";

/** The only place where errors become HTTP responses: the OCI error envelope. */
export function errorResponse(
  err: unknown,
  logger: Logger,
  headers?: Record<string, string>,
): Response {
  const registryErr = toRegistryError(err, logger);
  const body = JSON.stringify({ errors: [registryErr.toJSON()] });
  const response = new Response(body, { status: registryErr.status, headers });
  response.headers.set("Content-Type", "application/json");
  response.headers.set("Content-Length", String(Buffer.byteLength(body)));
  return response;
}

export function toRegistryError(err: unknown, logger: Logger): RegistryError {
  if (err instanceof RegistryError) return err;
  if (err instanceof InvalidPathError)
    return new RegistryError("NAME_INVALID", "invalid name or reference");
  if (err instanceof PathNotFoundError) {
    logger.warn("storage path vanished while serving a request", { path: err.path });
    return new RegistryError(
      "UNKNOWN",
      "content vanished while serving the request",
      undefined,
      404,
    );
  }
  logger.error("unexpected error", {
    error: err instanceof Error ? (err.stack ?? err.message) : String(err),
  });
  return new RegistryError("UNKNOWN", "internal server error");
}
