import { type RegistryError, registryError } from "../registry/errors.ts";

/** Upstream states in which the mirror serves what it has rather than failing. */
export const upstreamUnhealthy = (status: number): boolean =>
  status >= 500 || status === 429 || status === 401 || status === 403;

export const upstreamUnavailable = (reason: string): RegistryError =>
  registryError("UNAVAILABLE", `upstream registry unavailable: ${reason}`, undefined, 502);

export const mirrorReadOnly = (): RegistryError =>
  registryError(
    "UNSUPPORTED",
    "this namespace mirrors an upstream registry; push to a hosted namespace instead",
  );
