import { isPathNotFound, SkipDir, type StorageDriver } from "./driver/driver.ts";
import { repositoriesRoot } from "./paths.ts";

/**
 * Lists repositories the way Distribution does: a directory holding `_manifests` is a
 * repository; other `_`-prefixed directories are never descended into.
 */
export async function listRepositories(
  driver: StorageDriver,
  limit: number,
  last?: string,
): Promise<string[]> {
  const names: string[] = [];
  try {
    await driver.walk(repositoriesRoot, (info) => {
      if (!info.isDir) return undefined;
      const base = info.path.slice(info.path.lastIndexOf("/") + 1);
      if (base === "_manifests")
        names.push(info.path.slice(repositoriesRoot.length + 1, -"/_manifests".length));
      return base.startsWith("_") ? SkipDir : undefined;
    });
  } catch (err) {
    if (!isPathNotFound(err)) throw err;
  }
  names.sort();
  const after = last === undefined ? names : names.filter((name) => name > last);
  return after.slice(0, limit);
}
