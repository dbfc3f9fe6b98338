import { type Digest, digestParts, isDigest } from "../registry/digest.ts";
import { isRegistryError } from "../registry/errors.ts";
import type { Namespace } from "../registry/interfaces.ts";
import { isPathNotFound, SkipDir, type StorageDriver } from "../storage/driver/driver.ts";
import { blobDataPath, repositoriesRoot } from "../storage/paths.ts";
import type { ExpiringEntry } from "./scheduler.ts";

/**
 * Expires a pulled blob or manifest: unlink it from its repository (which also clears the
 * cache), then delete the data when no repository links it any more.
 */
export function expirer(driver: StorageDriver, mirror: Namespace) {
  return async (entry: ExpiringEntry): Promise<void> => {
    const at = entry.key.lastIndexOf("@");
    const repositoryName = entry.key.slice(0, at);
    const digest = entry.key.slice(at + 1);
    if (at <= 0 || !isDigest(digest)) return;
    const repository = mirror.repository(repositoryName);
    const unlink =
      entry.type === "blob" ? repository.blobs.delete(digest) : repository.manifests.delete(digest);
    await unlink.catch((err) => {
      if (!isRegistryError(err, "BLOB_UNKNOWN") && !isRegistryError(err, "MANIFEST_UNKNOWN"))
        throw err;
    });
    if (!(await linkedAnywhere(driver, digest))) {
      const data = blobDataPath(digest);
      await driver.delete(data.slice(0, -"/data".length)).catch((err) => {
        if (!isPathNotFound(err)) throw err;
      });
    }
  };
}

/** Whether any repository still links the digest as a layer or a manifest revision. */
export async function linkedAnywhere(driver: StorageDriver, digest: Digest): Promise<boolean> {
  const { algorithm, hex } = digestParts(digest);
  const candidates: string[] = [];
  try {
    await driver.walk(repositoriesRoot, (info) => {
      if (!info.isDir) return undefined;
      const base = info.path.slice(info.path.lastIndexOf("/") + 1);
      if (base === "_layers") candidates.push(`${info.path}/${algorithm}/${hex}/link`);
      if (base === "_manifests") candidates.push(`${info.path}/revisions/${algorithm}/${hex}/link`);
      return base.startsWith("_") ? SkipDir : undefined;
    });
  } catch (err) {
    if (isPathNotFound(err)) return false;
    throw err;
  }
  for (const path of candidates) {
    if (
      await driver.stat(path).then(
        () => true,
        () => false,
      )
    )
      return true;
  }
  return false;
}
