const MiB = 1024 * 1024;

/** Deterministic content of any size, produced chunk by chunk (never held whole). */
export function generated(size: number, seed: number): ReadableStream<Uint8Array> {
  let sent = 0;
  const block = new Uint8Array(MiB);
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) return controller.close();
      const length = Math.min(MiB, size - sent);
      const view = new DataView(block.buffer);
      for (let i = 0; i + 4 <= length; i += 512)
        view.setUint32(i, ((sent + i) * 2654435761) ^ seed);
      controller.enqueue(block.slice(0, length));
      sent += length;
    },
  });
}

export async function digestOfGenerated(size: number, seed: number): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of generated(size, seed)) hasher.update(chunk);
  return `sha256:${hasher.digest("hex")}`;
}

/** Reads a response body to the end, returning the byte count. */
export async function drain(response: Response): Promise<number> {
  let bytes = 0;
  if (response.body) for await (const chunk of response.body) bytes += chunk.byteLength;
  return bytes;
}

export const mib = MiB;
