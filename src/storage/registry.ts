import type { BlobDescriptorService, Descriptor } from "../registry/descriptor.ts";
import type { Digest } from "../registry/digest.ts";
import type { Namespace, Repository } from "../registry/interfaces.ts";
import { parseRepositoryName } from "../registry/names.ts";
import { GlobalBlobStore } from "./blobstore.ts";
import { LRUCache } from "./cache/lru.ts";
import { listRepositories } from "./catalog.ts";
import type { StorageDriver } from "./driver/driver.ts";
import { HashStates, KeyedMutex } from "./hashstates.ts";
import { LinkedBlobStatter, LinkedBlobStore } from "./linkedblobstore.ts";
import { ManifestRevisions } from "./manifeststore.ts";
import { layerLinkPath, manifestRevisionLinkPath } from "./paths.ts";
import { ReferrerLinks } from "./referrers.ts";
import { TagLinks } from "./tagstore.ts";
import { UploadSessions } from "./uploads.ts";

/** Puts a descriptor cache in front of a repository's storage statter. */
export type StatterFactory = (
  repository: string,
  storage: BlobDescriptorService,
) => BlobDescriptorService;

export interface LocalNamespaceOptions {
  readonly driver: StorageDriver;
  readonly deleteEnabled: boolean;
  /** Serve blobs by redirect when the driver can (storage.redirect.disable inverted). */
  readonly redirect: boolean;
  readonly cachedStatter?: StatterFactory;
  /**
   * Require every blob a manifest references to be in the repository (default). A mirror
   * stores manifests before their blobs are fetched, so its local store turns this off.
   */
  readonly verifyReferences?: boolean;
  readonly now?: () => Date;
}

/** A repository of the local registry, with its concrete stores. */
export interface LocalRepository extends Repository {
  readonly blobs: LinkedBlobStore;
}

/** The local registry: repositories backed by a storage driver in Distribution's layout. */
export class LocalNamespace implements Namespace {
  readonly global: GlobalBlobStore;
  private readonly hashStates = new HashStates();
  private readonly uploadLocks = new KeyedMutex();
  private readonly manifestContents = new LRUCache<
    Digest,
    { content: Uint8Array; mediaType: string }
  >(512);

  constructor(private readonly options: LocalNamespaceOptions) {
    this.global = new GlobalBlobStore(options.driver);
  }

  repository(name: string): LocalRepository {
    const repository = parseRepositoryName(name);
    const { driver, deleteEnabled, redirect } = this.options;
    const links = new LinkedBlobStatter(driver, this.global, repository, layerLinkPath);
    const blobs = new LinkedBlobStore({
      driver,
      global: this.global,
      links,
      statter: this.options.cachedStatter?.(repository, links) ?? links,
      deleteEnabled,
      redirect,
      statIn: (other, digest) => this.statBlob(other, digest),
    });
    const tags = new TagLinks(driver, repository, deleteEnabled);
    const referrers = new ReferrerLinks(driver, this.global, repository);
    const revisions = new LinkedBlobStatter(
      driver,
      this.global,
      repository,
      manifestRevisionLinkPath,
    );
    const manifests = new ManifestRevisions({
      global: this.global,
      revisions,
      blobs,
      tags,
      referrers,
      deleteEnabled,
      verifyReferences: this.options.verifyReferences ?? true,
      contents: this.manifestContents,
    });
    const uploads = new UploadSessions({
      repository,
      driver,
      global: this.global,
      blobs,
      hashStates: this.hashStates,
      locks: this.uploadLocks,
      now: this.options.now,
    });
    return { name: repository, blobs, uploads, manifests, tags, referrers };
  }

  catalog(limit: number, last?: string): Promise<string[]> {
    return listRepositories(this.options.driver, limit, last);
  }

  private statBlob(repository: string, digest: Digest): Promise<Descriptor> {
    return this.repository(repository).blobs.stat(digest);
  }
}
