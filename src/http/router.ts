/** Registry routes, matched from the end of the path because repository names contain `/`. */
export type Route =
  | { readonly kind: "base" }
  | { readonly kind: "catalog" }
  | { readonly kind: "blob"; readonly name: string; readonly digest: string }
  | { readonly kind: "uploads"; readonly name: string }
  | { readonly kind: "upload"; readonly name: string; readonly id: string }
  | { readonly kind: "manifest"; readonly name: string; readonly reference: string }
  | { readonly kind: "tags"; readonly name: string }
  | { readonly kind: "referrers"; readonly name: string; readonly digest: string };

export type RouteKind = Route["kind"];

const routePattern =
  /^\/(.+?)\/(?:(blobs\/uploads)\/?|blobs\/uploads\/([^/]+)|blobs\/([^/]+)|manifests\/([^/]+)|(tags)\/list|referrers\/([^/]+))$/;

/** `path` is what follows `/v2`; undefined when no route matches. */
export function matchRoute(path: string): Route | undefined {
  if (path === "" || path === "/") return { kind: "base" };
  if (path === "/_catalog") return { kind: "catalog" };
  const m = routePattern.exec(path);
  if (!m) return undefined;
  const name = m[1] as string;
  if (m[2]) return { kind: "uploads", name };
  if (m[3]) return { kind: "upload", name, id: m[3] };
  if (m[4]) return { kind: "blob", name, digest: m[4] };
  if (m[5]) return { kind: "manifest", name, reference: m[5] };
  if (m[6]) return { kind: "tags", name };
  if (m[7]) return { kind: "referrers", name, digest: m[7] };
  return undefined;
}

/** Methods each route answers; anything else is 405. */
export const allowedMethods: Record<RouteKind, readonly string[]> = {
  base: ["GET", "HEAD"],
  catalog: ["GET"],
  blob: ["GET", "HEAD", "DELETE"],
  uploads: ["POST"],
  upload: ["GET", "PATCH", "PUT", "DELETE"],
  manifest: ["GET", "HEAD", "PUT", "DELETE"],
  tags: ["GET"],
  referrers: ["GET"],
};
