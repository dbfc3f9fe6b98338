import { type Digest, parseDigest } from "../registry/digest.ts";
import { isRegistryError, registryError } from "../registry/errors.ts";
import type { Repository } from "../registry/interfaces.ts";
import { parseRepositoryName } from "../registry/names.ts";
import { uploadBody } from "./body.ts";
import { type HandlerContext, noBody } from "./context.ts";
import { parseContentRange } from "./ranges.ts";

/** POST /v2/<name>/blobs/uploads/ — start, monolithic (`?digest=`) or mount (`?mount=&from=`). */
export async function handleUploadStart(ctx: HandlerContext, name: string): Promise<Response> {
  const repository = ctx.repository(name);
  const mount = ctx.query.get("mount");
  const from = ctx.query.get("from");
  if (mount !== null && from) {
    const mounted = await tryMount(ctx, repository, from, parseDigest(mount));
    if (mounted) return mounted;
  }
  const digestParam = ctx.query.get("digest");
  const digest = digestParam === null ? undefined : parseDigest(digestParam);
  const upload = await repository.uploads.start();
  if (digest)
    return commitResponse(
      ctx,
      repository,
      await repository.uploads
        .commit(upload.id, digest, await uploadBody(ctx.request))
        .then((d) => d.digest),
    );
  return uploadResponse(ctx, repository.name, upload.id, 0, 202);
}

/** A mount from a repository that lacks the blob falls back to a fresh upload, as the spec asks. */
async function tryMount(
  ctx: HandlerContext,
  repository: Repository,
  from: string,
  digest: Digest,
): Promise<Response | undefined> {
  try {
    await repository.blobs.mount(parseRepositoryName(from), digest);
    return commitResponse(ctx, repository, digest);
  } catch (err) {
    if (isRegistryError(err, "BLOB_UNKNOWN") || isRegistryError(err, "NAME_INVALID"))
      return undefined;
    throw err;
  }
}

/** GET/PATCH/PUT/DELETE /v2/<name>/blobs/uploads/<id> */
export async function handleUpload(
  ctx: HandlerContext,
  name: string,
  id: string,
): Promise<Response> {
  const repository = ctx.repository(name);
  switch (ctx.method) {
    case "GET": {
      const status = await repository.uploads.status(id);
      return uploadResponse(ctx, repository.name, id, status.size, 204);
    }
    case "PATCH": {
      const offset = chunkOffset(
        ctx.request.headers.get("content-range"),
        ctx.request.headers.get("content-length"),
      );
      const size = await repository.uploads.append(id, await uploadBody(ctx.request), offset);
      return uploadResponse(ctx, repository.name, id, size, 202);
    }
    case "PUT": {
      const digest = parseDigest(ctx.query.get("digest"));
      const committed = await repository.uploads.commit(id, digest, await uploadBody(ctx.request));
      return commitResponse(ctx, repository, committed.digest);
    }
    default: {
      await repository.uploads.cancel(id);
      return noBody(204);
    }
  }
}

/** A chunk's declared start, checked against the upload's size by the store. */
function chunkOffset(
  contentRange: string | null,
  contentLength: string | null,
): number | undefined {
  if (contentRange === null) return undefined;
  const range = parseContentRange(contentRange);
  if (!range)
    throw registryError(
      "RANGE_INVALID",
      `malformed Content-Range ${JSON.stringify(contentRange.slice(0, 100))}`,
      undefined,
      416,
    );
  if (contentLength !== null && Number(contentLength) !== range.end - range.start + 1) {
    throw registryError(
      "RANGE_INVALID",
      "Content-Range does not match Content-Length",
      undefined,
      416,
    );
  }
  return range.start;
}

function uploadResponse(
  ctx: HandlerContext,
  name: string,
  id: string,
  size: number,
  status: number,
): Response {
  return noBody(status, {
    Location: ctx.url(`/${name}/blobs/uploads/${id}`),
    Range: `0-${Math.max(size - 1, 0)}`,
    "Docker-Upload-UUID": id,
  });
}

function commitResponse(ctx: HandlerContext, repository: Repository, digest: Digest): Response {
  return noBody(201, {
    Location: ctx.url(`/${repository.name}/blobs/${digest}`),
    "Docker-Content-Digest": digest,
  });
}
