import { type Digest, isDigest } from "../registry/digest.ts";
import type { ReferrerDescriptor, ReferrerStore } from "../registry/interfaces.ts";
import { parseManifest } from "../registry/manifest.ts";
import type { GlobalBlobStore } from "./blobstore.ts";
import { isPathNotFound, type StorageDriver } from "./driver/driver.ts";
import { referrerLinkPath, referrersPath } from "./paths.ts";

/** The referrers index: which manifests of a repository name a given subject. */
export class ReferrerLinks implements ReferrerStore {
  constructor(
    private readonly driver: StorageDriver,
    private readonly global: GlobalBlobStore,
    private readonly repository: string,
  ) {}

  add(subject: Digest, referrer: Digest): Promise<void> {
    return this.driver.putContent(referrerLinkPath(this.repository, subject, referrer), referrer);
  }

  async remove(subject: Digest, referrer: Digest): Promise<void> {
    const link = referrerLinkPath(this.repository, subject, referrer);
    await this.driver.delete(link.slice(0, -"/link".length)).catch((err) => {
      if (!isPathNotFound(err)) throw err;
    });
  }

  async list(subject: Digest, artifactType?: string): Promise<ReferrerDescriptor[]> {
    const digests = await this.referrerDigests(subject);
    const descriptors = await Promise.all(digests.map((digest) => this.describe(digest)));
    return descriptors.filter(
      (d): d is ReferrerDescriptor =>
        d !== undefined && (artifactType === undefined || d.artifactType === artifactType),
    );
  }

  private async referrerDigests(subject: Digest): Promise<Digest[]> {
    const digests: Digest[] = [];
    const root = referrersPath(this.repository, subject);
    for (const algorithmDir of await this.listOrEmpty(root)) {
      for (const hexDir of await this.listOrEmpty(algorithmDir)) {
        const digest = `${algorithmDir.slice(root.length + 1)}:${hexDir.slice(algorithmDir.length + 1)}`;
        if (isDigest(digest)) digests.push(digest);
      }
    }
    return digests.sort();
  }

  private async describe(digest: Digest): Promise<ReferrerDescriptor | undefined> {
    const content = await this.global.get(digest).catch(() => undefined);
    if (!content) return undefined;
    const manifest = parseManifest(content);
    return {
      digest,
      size: content.byteLength,
      mediaType: manifest.mediaType,
      ...(manifest.artifactType ? { artifactType: manifest.artifactType } : {}),
      ...(manifest.annotations ? { annotations: manifest.annotations } : {}),
    };
  }

  private async listOrEmpty(path: string): Promise<string[]> {
    try {
      return await this.driver.list(path);
    } catch (err) {
      if (isPathNotFound(err)) return [];
      throw err;
    }
  }
}
