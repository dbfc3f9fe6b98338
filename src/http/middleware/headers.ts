import { Elysia } from "elysia";

/**
 * Adds `Docker-Distribution-API-Version` and the configured `http.headers` to every response,
 * errors included (clients use the version header to recognise a registry).
 */
export function registryHeaders(configured: Record<string, readonly string[]>) {
  const entries = Object.entries(configured);
  const apply = (response: unknown): void => {
    if (!(response instanceof Response)) return;
    response.headers.set("Docker-Distribution-API-Version", "registry/2.0");
    for (const [name, values] of entries) {
      if (!response.headers.has(name))
        for (const value of values) response.headers.append(name, value);
    }
  };
  return new Elysia({ name: "skiff.headers" })
    .onAfterHandle({ as: "global" }, ({ responseValue }) => apply(responseValue))
    .onError({ as: "global" }, ({ error }) => apply(error));
}
