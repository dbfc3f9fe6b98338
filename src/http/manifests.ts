import { parseDigest } from "../registry/digest.ts";
import { registryError } from "../registry/errors.ts";
import type { ManifestReference, Repository } from "../registry/interfaces.ts";
import { maxManifestBytes } from "../registry/manifest.ts";
import { mediaTypes } from "../registry/mediatypes.ts";
import { parseTag } from "../registry/names.ts";
import { readLimited } from "./body.ts";
import { type HandlerContext, noBody } from "./context.ts";

/** GET/HEAD/PUT/DELETE /v2/<name>/manifests/<reference> */
export async function handleManifest(
  ctx: HandlerContext,
  name: string,
  referenceParam: string,
): Promise<Response> {
  const repository = ctx.repository(name);
  const reference = parseReference(referenceParam);
  switch (ctx.method) {
    case "PUT":
      return putManifest(ctx, repository, reference);
    case "DELETE":
      return deleteManifest(repository, reference);
    default:
      return getManifest(ctx, repository, reference);
  }
}

/** A reference with `:` can only be a digest; anything else must be a valid tag. */
function parseReference(value: string): ManifestReference {
  return value.includes(":") ? { digest: parseDigest(value) } : { tag: parseTag(value) };
}

async function getManifest(
  ctx: HandlerContext,
  repository: Repository,
  reference: ManifestReference,
): Promise<Response> {
  const digest = reference.digest ?? (await repository.tags.resolve(reference.tag));
  const manifest = await repository.manifests.get(digest);
  checkAcceptable(ctx.request.headers.get("accept"), manifest.mediaType);
  const headers = {
    "Content-Type": manifest.mediaType,
    "Docker-Content-Digest": digest,
    ETag: `"${digest}"`,
    "Content-Length": String(manifest.content.byteLength),
  };
  if (ctx.request.headers.get("if-none-match") === headers.ETag)
    return new Response(null, { status: 304, headers });
  return new Response(ctx.method === "HEAD" ? null : manifest.content, { status: 200, headers });
}

/**
 * OCI manifests are only served to clients that say they accept them (as Distribution does);
 * a client that sends no Accept, or a wildcard, accepts everything.
 */
function checkAcceptable(accept: string | null, mediaType: string): void {
  if (mediaType !== mediaTypes.ociManifest && mediaType !== mediaTypes.ociIndex) return;
  if (!accept) return;
  const accepted = accept.split(",").map((part) => part.split(";")[0]?.trim() ?? "");
  if (accepted.some((type) => type === mediaType || type === "*/*" || type === "application/*"))
    return;
  if (!accepted.some((type) => type.includes("manifest") || type.includes("image.index"))) return;
  throw registryError(
    "MANIFEST_UNKNOWN",
    `manifest is ${mediaType}, which the Accept header does not allow`,
    { mediaType },
  );
}

async function putManifest(
  ctx: HandlerContext,
  repository: Repository,
  reference: ManifestReference,
): Promise<Response> {
  const content = await readLimited(ctx.request, maxManifestBytes, () =>
    registryError("MANIFEST_INVALID", `manifest exceeds ${maxManifestBytes} bytes`, undefined, 413),
  );
  const result = await repository.manifests.put(
    content,
    ctx.request.headers.get("content-type") ?? undefined,
    reference,
  );
  const headers: Record<string, string> = {
    Location: ctx.url(`/${repository.name}/manifests/${result.digest}`),
    "Docker-Content-Digest": result.digest,
  };
  if (result.subject) headers["OCI-Subject"] = result.subject;
  return noBody(201, headers);
}

async function deleteManifest(
  repository: Repository,
  reference: ManifestReference,
): Promise<Response> {
  if (reference.tag !== undefined) await repository.tags.untag(reference.tag);
  else await repository.manifests.delete(reference.digest);
  return noBody(202);
}
