import { type RegistryError, registryError } from "../registry/errors.ts";
import type { UploadBody } from "../registry/interfaces.ts";

/** Reads a small request body whole, refusing it as soon as it grows past `limit` bytes. */
export async function readLimited(
  request: Request,
  limit: number,
  tooLarge: () => RegistryError,
): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) throw tooLarge();
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.byteLength;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** Upload bodies up to this size are read whole: one buffer costs less than a stream. */
export const wholeUploadBodyBytes = 64 * 1024;

/**
 * An upload request's bytes: none for a declared length of 0 (a commit after chunks), read
 * whole when the client declared a small length, streamed otherwise, so memory per request
 * stays bounded either way.
 */
export async function uploadBody(request: Request): Promise<UploadBody> {
  const header = request.headers.get("content-length") ?? "";
  // Anything but a small, well-formed length (none, too big, garbage) is streamed.
  if (!/^\d{1,6}$/.test(header) || Number(header) > wholeUploadBodyBytes) return request.body;
  if (Number(header) === 0) return null;
  try {
    return await request.bytes();
  } catch (err) {
    throw registryError("BLOB_UPLOAD_INVALID", `upload interrupted: ${(err as Error).message}`);
  }
}
