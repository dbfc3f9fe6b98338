import type { Route } from "../http/router.ts";

/** One permission a request needs, in the Docker token spec's terms. */
export interface Access {
  readonly type: "repository" | "registry";
  readonly name: string;
  readonly action: string;
}

/** The scope string a 401 names so clients know what token to ask for. */
export function scopeOf(access: readonly Access[]): string {
  const byResource = new Map<string, string[]>();
  for (const { type, name, action } of access) {
    const key = `${type}:${name}`;
    byResource.set(key, [...(byResource.get(key) ?? []), action]);
  }
  return [...byResource]
    .map(([resource, actions]) => `${resource}:${[...new Set(actions)].join(",")}`)
    .join(" ");
}

/**
 * What a route needs: pull to read, push (with pull) to write, delete to delete, and
 * `registry:catalog:*` for the catalog. `/v2/` needs no access, only an identity.
 */
export function requiredAccess(route: Route, method: string, query: URLSearchParams): Access[] {
  const repository = (name: string, ...actions: string[]): Access[] =>
    actions.map((action) => ({ type: "repository", name, action }));
  switch (route.kind) {
    case "base":
      return [];
    case "catalog":
      return [{ type: "registry", name: "catalog", action: "*" }];
    case "uploads": {
      const from = query.get("from");
      return [
        ...repository(route.name, "pull", "push"),
        ...(query.get("mount") && from ? repository(from, "pull") : []),
      ];
    }
    case "upload":
      return repository(route.name, "pull", "push");
    case "blob":
    case "manifest":
      if (method === "DELETE") return repository(route.name, "delete");
      if (method === "PUT") return repository(route.name, "pull", "push");
      return repository(route.name, "pull");
    case "tags":
    case "referrers":
      return repository(route.name, "pull");
  }
}
