import { parseDigest } from "../registry/digest.ts";
import { registryError } from "../registry/errors.ts";
import { type HandlerContext, noBody } from "./context.ts";
import { errorResponse } from "./errors.ts";
import { parseRange } from "./ranges.ts";

/** GET/HEAD/DELETE /v2/<name>/blobs/<digest> */
export async function handleBlob(
  ctx: HandlerContext,
  name: string,
  digestParam: string,
): Promise<Response> {
  const repository = ctx.repository(name);
  const digest = parseDigest(digestParam);
  if (ctx.method === "DELETE") {
    await repository.blobs.delete(digest);
    return noBody(202, { "Docker-Content-Digest": digest });
  }
  const method = ctx.method === "HEAD" ? "HEAD" : "GET";
  const headers: Record<string, string> = {
    "Docker-Content-Digest": digest,
    ETag: `"${digest}"`,
    "Accept-Ranges": "bytes",
    "Cache-Control": "max-age=31536000",
    "Content-Type": "application/octet-stream",
  };
  if (method === "HEAD") {
    const descriptor = await repository.blobs.stat(digest);
    return new Response(null, {
      status: 200,
      headers: { ...headers, "Content-Length": String(descriptor.size) },
    });
  }
  const content = await repository.blobs.open(digest, method);
  if (content.kind === "redirect") {
    return new Response(null, {
      status: 307,
      headers: { Location: content.url, "Docker-Content-Digest": digest },
    });
  }
  // Tells clients (and `skiff warm`) whether the bytes were already here.
  headers["X-Cache"] = content.kind === "stream" ? "MISS" : "HIT";
  if (content.kind === "stream") {
    // A relayed upstream fetch: whole body only (Range is optional for a server to honour).
    if (content.descriptor.size >= 0) headers["Content-Length"] = String(content.descriptor.size);
    return new Response(content.stream, { status: 200, headers });
  }
  if (ctx.request.headers.get("if-none-match") === headers.ETag)
    return new Response(null, { status: 304, headers });
  return serveBlob(ctx, content.body, content.descriptor.size, headers);
}

/** Zero-copy file response, honouring a single byte range. */
function serveBlob(
  ctx: HandlerContext,
  body: Blob,
  size: number,
  headers: Record<string, string>,
): Response {
  const range = parseRange(ctx.request.headers.get("range"), size);
  if (range.kind === "unsatisfiable") {
    const err = registryError(
      "RANGE_INVALID",
      `range not satisfiable for a blob of ${size} bytes`,
      { size },
      416,
    );
    return errorResponse(err, ctx.logger, { "Content-Range": `bytes */${size}` });
  }
  if (range.kind === "range") {
    const { start, end } = range.range;
    headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
    headers["Content-Length"] = String(end - start + 1);
    return new Response(body.slice(start, end + 1), { status: 206, headers });
  }
  headers["Content-Length"] = String(size);
  return new Response(body, { status: 200, headers });
}
