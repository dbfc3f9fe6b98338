import type { RegistryError } from "../registry/errors.ts";

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
