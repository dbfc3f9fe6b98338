import { registryError } from "../registry/errors.ts";

export interface Page {
  readonly limit: number;
  readonly last?: string;
}

/** Reads `n` and `last`; `n` must be a non-negative integer, capped at `max`. */
export function parsePage(query: URLSearchParams, fallback: number, max: number): Page {
  const n = query.get("n");
  const last = query.get("last") ?? undefined;
  if (n === null || n === "") return { limit: fallback, last };
  if (!/^\d{1,9}$/.test(n))
    throw registryError("PAGINATION_NUMBER_INVALID", "n must be a non-negative integer", {
      n: n.slice(0, 50),
    });
  return { limit: Math.min(Number(n), max), last };
}

/** The RFC 5988 `Link` header pointing at the next page. */
export function nextLink(path: string, limit: number, last: string): string {
  return `<${path}?last=${encodeURIComponent(last)}&n=${limit}>; rel="next"`;
}
