import { parseDigest } from "../registry/digest.ts";
import { mediaTypes } from "../registry/mediatypes.ts";
import { type HandlerContext, jsonResponse } from "./context.ts";
import { nextLink, parsePage } from "./pagination.ts";

const maxEntries = 1000;

/** GET /v2/_catalog */
export async function handleCatalog(ctx: HandlerContext): Promise<Response> {
  const page = parsePage(ctx.query, 100, maxEntries);
  const names = await ctx.namespace.catalog(page.limit + 1, page.last);
  return paged(ctx, "/_catalog", page.limit, names, (repositories) => ({ repositories }));
}

/** GET /v2/<name>/tags/list */
export async function handleTags(ctx: HandlerContext, name: string): Promise<Response> {
  const repository = ctx.repository(name);
  const page = parsePage(ctx.query, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const all = await repository.tags.list();
  const after = page.last === undefined ? all : all.filter((tag) => tag > (page.last as string));
  return paged(
    ctx,
    `/${repository.name}/tags/list`,
    page.limit,
    after.slice(0, page.limit + 1),
    (tags) => ({ name: repository.name, tags }),
  );
}

/** GET /v2/<name>/referrers/<digest> */
export async function handleReferrers(
  ctx: HandlerContext,
  name: string,
  digestParam: string,
): Promise<Response> {
  const repository = ctx.repository(name);
  const subject = parseDigest(digestParam);
  const artifactType = ctx.query.get("artifactType") || undefined;
  const manifests = await repository.referrers.list(subject, artifactType);
  const headers: Record<string, string> = { "Content-Type": mediaTypes.ociIndex };
  if (artifactType) headers["OCI-Filters-Applied"] = "artifactType";
  return jsonResponse(
    { schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests },
    200,
    headers,
  );
}

/** `items` holds up to limit+1 entries; the extra one only tells that a next page exists. */
function paged(
  ctx: HandlerContext,
  path: string,
  limit: number,
  items: string[],
  body: (page: string[]) => unknown,
): Response {
  const page = items.slice(0, limit);
  const headers: Record<string, string> = {};
  const last = page[page.length - 1];
  if (items.length > limit && last !== undefined)
    headers.Link = nextLink(ctx.path(path), limit, last);
  return jsonResponse(body(page), 200, headers);
}
