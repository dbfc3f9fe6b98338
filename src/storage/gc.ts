import { type Digest, isDigest } from "../registry/digest.ts";
import { parseManifest } from "../registry/manifest.ts";
import { isPathNotFound, SkipDir, type StorageDriver } from "./driver/driver.ts";
import {
  blobDataPath,
  blobsRoot,
  layerLinkPath,
  manifestRevisionLinkPath,
  manifestRevisionsPath,
  manifestTagsPath,
  referrersPath,
  repositoriesRoot,
  tagCurrentLinkPath,
} from "./paths.ts";

export interface GCOptions {
  readonly dryRun: boolean;
  /** Also remove manifests no tag points at (and what only they reference). */
  readonly deleteUntagged: boolean;
  readonly progress?: (event: GCProgress) => void;
}

export type GCProgress =
  | { readonly phase: "mark"; readonly repositories: number; readonly manifests: number }
  | { readonly phase: "sweep"; readonly examined: number; readonly eligible: number };

export interface GCResult {
  readonly marked: number;
  /** Blobs deleted (or, in a dry run, that would be). */
  readonly blobs: { readonly digest: Digest; readonly size: number }[];
  readonly bytes: number;
  /** `<repository>@<digest>` of untagged manifests removed with --delete-untagged. */
  readonly manifests: string[];
}

/**
 * Mark and sweep over Distribution's layout: every blob reachable from a kept manifest revision
 * (through index children and referrers) is marked; every other blob is deleted, with the layer
 * links that pointed at it. The registry must not accept writes meanwhile.
 */
export async function garbageCollect(driver: StorageDriver, options: GCOptions): Promise<GCResult> {
  const marked = new Set<string>();
  const removedManifests: string[] = [];
  const repositories = await repositoryNames(driver);
  let manifestCount = 0;
  for (const repository of repositories) {
    const revisions = await linkedDigests(driver, manifestRevisionsPath(repository));
    const tagged = await taggedDigests(driver, repository);
    const kept = options.deleteUntagged
      ? await closure(driver, repository, tagged)
      : new Set(revisions);
    for (const digest of revisions) {
      if (kept.has(digest)) continue;
      removedManifests.push(`${repository}@${digest}`);
      if (!options.dryRun)
        await removeQuietly(
          driver,
          manifestRevisionLinkPath(repository, digest).slice(0, -"/link".length),
        );
    }
    for (const digest of kept) {
      if (!revisions.includes(digest)) continue;
      manifestCount++;
      marked.add(digest);
      for (const reference of await referencesOf(driver, digest)) marked.add(reference);
    }
    options.progress?.({
      phase: "mark",
      repositories: repositories.indexOf(repository) + 1,
      manifests: manifestCount,
    });
  }
  const swept = await sweep(driver, marked, options);
  if (!options.dryRun)
    await unlinkSwept(
      driver,
      repositories,
      swept.map((blob) => blob.digest),
    );
  return {
    marked: marked.size,
    blobs: swept,
    bytes: swept.reduce((sum, blob) => sum + blob.size, 0),
    manifests: removedManifests,
  };
}

/** Tagged manifests plus, transitively, their index children and their referrers. */
async function closure(
  driver: StorageDriver,
  repository: string,
  roots: Iterable<Digest>,
): Promise<Set<Digest>> {
  const kept = new Set<Digest>();
  const queue = [...roots];
  while (queue.length > 0) {
    const digest = queue.pop() as Digest;
    if (kept.has(digest)) continue;
    kept.add(digest);
    const content = await driver.getContent(blobDataPath(digest)).catch(() => undefined);
    if (content) {
      const manifest = safeParse(content);
      for (const child of manifest?.manifests ?? []) queue.push(child.digest);
    }
    queue.push(...(await referrerDigests(driver, repository, digest)));
  }
  return kept;
}

async function referencesOf(driver: StorageDriver, digest: Digest): Promise<Digest[]> {
  const content = await driver.getContent(blobDataPath(digest)).catch(() => undefined);
  const manifest = content ? safeParse(content) : undefined;
  if (!manifest) return [];
  return [...manifest.blobs, ...manifest.manifests].map((reference) => reference.digest);
}

function safeParse(content: Uint8Array) {
  try {
    return parseManifest(content);
  } catch {
    return undefined;
  }
}

async function sweep(
  driver: StorageDriver,
  marked: Set<string>,
  options: GCOptions,
): Promise<{ digest: Digest; size: number }[]> {
  const candidates: { digest: Digest; size: number; dir: string }[] = [];
  let examined = 0;
  await walkOrNothing(driver, blobsRoot, (path, isDir, size) => {
    if (isDir || !path.endsWith("/data")) return undefined;
    const parts = path.slice(blobsRoot.length + 1).split("/");
    const digest = `${parts[0]}:${parts[2]}`;
    examined++;
    if (isDigest(digest) && !marked.has(digest))
      candidates.push({ digest, size, dir: path.slice(0, -"/data".length) });
    options.progress?.({ phase: "sweep", examined, eligible: candidates.length });
    return undefined;
  });
  if (!options.dryRun)
    for (const candidate of candidates) await removeQuietly(driver, candidate.dir);
  return candidates.map(({ digest, size }) => ({ digest, size }));
}

/** Layer links to deleted blobs would answer HEAD with a blob that is gone: remove them too. */
async function unlinkSwept(
  driver: StorageDriver,
  repositories: string[],
  digests: Digest[],
): Promise<void> {
  for (const repository of repositories) {
    for (const digest of digests)
      await removeQuietly(driver, layerLinkPath(repository, digest).slice(0, -"/link".length));
  }
}

async function repositoryNames(driver: StorageDriver): Promise<string[]> {
  const names: string[] = [];
  await walkOrNothing(driver, repositoriesRoot, (path, isDir) => {
    if (!isDir) return undefined;
    const base = path.slice(path.lastIndexOf("/") + 1);
    if (base === "_manifests")
      names.push(path.slice(repositoriesRoot.length + 1, -"/_manifests".length));
    return base.startsWith("_") ? SkipDir : undefined;
  });
  return names.sort();
}

/** Digests of `<dir>/<alg>/<hex>/link` entries; a folder whose link was deleted does not count. */
async function linkedDigests(driver: StorageDriver, dir: string): Promise<Digest[]> {
  const digests: Digest[] = [];
  for (const algorithmDir of await listOrNothing(driver, dir)) {
    for (const hexDir of await listOrNothing(driver, algorithmDir)) {
      const digest = `${algorithmDir.slice(dir.length + 1)}:${hexDir.slice(algorithmDir.length + 1)}`;
      const linked = await driver.stat(`${hexDir}/link`).then(
        () => true,
        () => false,
      );
      if (isDigest(digest) && linked) digests.push(digest);
    }
  }
  return digests;
}

async function taggedDigests(driver: StorageDriver, repository: string): Promise<Digest[]> {
  const digests: Digest[] = [];
  for (const tagDir of await listOrNothing(driver, manifestTagsPath(repository))) {
    const tag = tagDir.slice(tagDir.lastIndexOf("/") + 1);
    const content = await driver
      .getContent(tagCurrentLinkPath(repository, tag))
      .catch(() => undefined);
    const digest = content ? new TextDecoder().decode(content).trim() : "";
    if (isDigest(digest)) digests.push(digest);
  }
  return digests;
}

async function referrerDigests(
  driver: StorageDriver,
  repository: string,
  subject: Digest,
): Promise<Digest[]> {
  return linkedDigests(driver, referrersPath(repository, subject));
}

async function listOrNothing(driver: StorageDriver, path: string): Promise<string[]> {
  try {
    return await driver.list(path);
  } catch (err) {
    if (isPathNotFound(err)) return [];
    throw err;
  }
}

async function walkOrNothing(
  driver: StorageDriver,
  root: string,
  visit: (path: string, isDir: boolean, size: number) => typeof SkipDir | undefined,
): Promise<void> {
  try {
    await driver.walk(root, (info) => visit(info.path, info.isDir, info.size) ?? undefined);
  } catch (err) {
    if (!isPathNotFound(err)) throw err;
  }
}

async function removeQuietly(driver: StorageDriver, path: string): Promise<void> {
  await driver.delete(path).catch((err) => {
    if (!isPathNotFound(err)) throw err;
  });
}
