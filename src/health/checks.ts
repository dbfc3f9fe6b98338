import type { StorageDriver } from "../storage/driver/driver.ts";
import { registryRoot } from "../storage/paths.ts";

/** Writes a small file and reads it back: catches a full, read-only or vanished storage root. */
export function storageProbe(driver: StorageDriver): () => Promise<void> {
  const path = `${registryRoot}/_health/probe`;
  return async () => {
    const token = crypto.randomUUID();
    await driver.putContent(path, token);
    const read = new TextDecoder().decode(await driver.getContent(path));
    if (read !== token) throw new Error("storage returned different content than was written");
  };
}

/** An upstream answers `/v2/` (200 or the 401 that starts authentication). */
export function upstreamProbe(ping: () => Promise<Response>): () => Promise<void> {
  return async () => {
    const response = await ping();
    await response.body?.cancel();
    if (response.status !== 200 && response.status !== 401)
      throw new Error(`upstream answered ${response.status}`);
  };
}
