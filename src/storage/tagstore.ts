import { type Digest, isDigest } from "../registry/digest.ts";
import { registryError } from "../registry/errors.ts";
import type { TagStore } from "../registry/interfaces.ts";
import { isPathNotFound, type StorageDriver } from "./driver/driver.ts";
import {
  manifestTagPath,
  manifestTagsPath,
  repositoryPath,
  tagCurrentLinkPath,
  tagIndexEntryLinkPath,
} from "./paths.ts";

/** Tags as Distribution stores them: `tags/<tag>/current/link` plus an index of past digests. */
export class TagLinks implements TagStore {
  constructor(
    private readonly driver: StorageDriver,
    private readonly repository: string,
    private readonly deleteEnabled: boolean,
  ) {}

  async resolve(tag: string): Promise<Digest> {
    try {
      const target = new TextDecoder()
        .decode(await this.driver.getContent(tagCurrentLinkPath(this.repository, tag)))
        .trim();
      if (isDigest(target)) return target;
    } catch (err) {
      if (!isPathNotFound(err)) throw err;
    }
    throw registryError("MANIFEST_UNKNOWN", "manifest unknown", { tag });
  }

  async tag(tag: string, digest: Digest): Promise<void> {
    await this.driver.putContent(tagIndexEntryLinkPath(this.repository, tag, digest), digest);
    await this.driver.putContent(tagCurrentLinkPath(this.repository, tag), digest);
  }

  async untag(tag: string): Promise<void> {
    if (!this.deleteEnabled)
      throw registryError("UNSUPPORTED", "deletion is disabled (storage.delete.enabled)");
    try {
      await this.driver.delete(manifestTagPath(this.repository, tag));
    } catch (err) {
      if (isPathNotFound(err)) throw registryError("MANIFEST_UNKNOWN", "manifest unknown", { tag });
      throw err;
    }
  }

  async list(): Promise<string[]> {
    try {
      const paths = await this.driver.list(manifestTagsPath(this.repository));
      return paths.map((path) => path.slice(path.lastIndexOf("/") + 1)).sort();
    } catch (err) {
      if (!isPathNotFound(err)) throw err;
    }
    if (await this.repositoryExists()) return [];
    throw registryError("NAME_UNKNOWN", undefined, { name: this.repository });
  }

  async lookup(digest: Digest): Promise<string[]> {
    const tags = await this.list().catch(() => []);
    const matches = await Promise.all(
      tags.map(async (tag) =>
        (await this.resolve(tag).catch(() => undefined)) === digest ? tag : undefined,
      ),
    );
    return matches.filter((tag): tag is string => tag !== undefined);
  }

  private async repositoryExists(): Promise<boolean> {
    try {
      return (await this.driver.stat(repositoryPath(this.repository))).isDir;
    } catch {
      return false;
    }
  }
}
