import type { Logger } from "../log.ts";
import type { Descriptor } from "../registry/descriptor.ts";
import { type Digest, digestOf, digestParts, isDigest } from "../registry/digest.ts";
import { isRegistryError, registryError } from "../registry/errors.ts";
import type {
  ManifestPutResult,
  ManifestStore,
  Repository,
  StoredManifest,
  TagStore,
} from "../registry/interfaces.ts";
import { maxManifestBytes } from "../registry/manifest.ts";
import type { Route } from "./routing.ts";
import { mirrorReadOnly, upstreamUnavailable, upstreamUnhealthy } from "./upstreamerrors.ts";

export interface ProxyManifestOptions {
  readonly route: Route;
  /** The mirror's local copy of the repository. */
  readonly local: Repository;
  readonly pulled: (digest: Digest) => Promise<void>;
  readonly logger: Logger;
}

/** Manifests of a mirrored repository: by digest local first; fetched and kept otherwise. */
export class ProxyManifestStore implements ManifestStore {
  constructor(private readonly options: ProxyManifestOptions) {}

  async stat(digest: Digest): Promise<Descriptor> {
    try {
      return await this.options.local.manifests.stat(digest);
    } catch (err) {
      if (!isRegistryError(err, "MANIFEST_UNKNOWN")) throw err;
    }
    // Manifests are small: fetching one to answer a HEAD also caches it for the GET that follows.
    await this.fetch(digest);
    return this.options.local.manifests.stat(digest);
  }

  async get(digest: Digest): Promise<StoredManifest> {
    try {
      return await this.options.local.manifests.get(digest);
    } catch (err) {
      if (!isRegistryError(err, "MANIFEST_UNKNOWN")) throw err;
    }
    return this.fetch(digest);
  }

  /** Fetches a manifest from upstream, verifies it, stores it (tagged when asked by tag). */
  async fetch(reference: string, tag?: string): Promise<StoredManifest> {
    const { route, local } = this.options;
    const response = await route.upstream.client
      .manifest("GET", route.remoteName, reference)
      .catch((err: Error) => {
        throw upstreamUnavailable(err.message);
      });
    if (response.status === 404)
      throw registryError("MANIFEST_UNKNOWN", "manifest unknown to the upstream registry", {
        reference,
      });
    if (!response.ok) throw upstreamUnavailable(`GET manifest answered ${response.status}`);
    const content = new Uint8Array(await response.arrayBuffer());
    if (content.byteLength > maxManifestBytes)
      throw upstreamUnavailable("upstream manifest exceeds 4 MiB");
    const algorithm = isDigest(reference) ? digestParts(reference).algorithm : "sha256";
    const digest = digestOf(content, algorithm);
    if (isDigest(reference) && digest !== reference)
      throw upstreamUnavailable("upstream manifest did not match its digest");
    const contentType = response.headers.get("content-type") ?? undefined;
    await local.manifests.put(content, contentType, tag === undefined ? { digest } : { tag });
    await this.options.pulled(digest);
    return local.manifests.get(digest);
  }

  async put(): Promise<ManifestPutResult> {
    throw mirrorReadOnly();
  }

  async delete(): Promise<void> {
    throw mirrorReadOnly();
  }
}

/**
 * Tags of a mirrored repository: the upstream says what a tag points at now (HEAD); the local
 * copy answers when it matches, and whenever the upstream is down or failing. A tag this mirror
 * has never seen is fetched straight away (GET), as its manifest is needed either way.
 */
export class ProxyTagStore implements TagStore {
  constructor(
    private readonly options: ProxyManifestOptions,
    private readonly manifests: ProxyManifestStore,
  ) {}

  async resolve(tag: string): Promise<Digest> {
    const { route, local, logger } = this.options;
    const known = await local.tags.resolve(tag).catch(() => undefined);
    // A tag never pulled here: its manifest is fetched anyway, so asking first is a wasted trip.
    if (known === undefined) return (await this.manifests.fetch(tag, tag)).digest;
    let response: Response;
    try {
      response = await route.upstream.client.manifest("HEAD", route.remoteName, tag);
    } catch (err) {
      return this.fallback(tag, (err as Error).message);
    }
    if (upstreamUnhealthy(response.status))
      return this.fallback(tag, `HEAD manifest answered ${response.status}`);
    if (response.status === 404)
      throw registryError("MANIFEST_UNKNOWN", "manifest unknown to the upstream registry", { tag });
    const current = response.headers.get("docker-content-digest");
    if (current && isDigest(current) && (await this.hasLocally(current))) {
      if (known !== current) await local.tags.tag(tag, current);
      return current;
    }
    logger.debug("mirror: fetching manifest", { repository: route.localName, tag });
    return (await this.manifests.fetch(tag, tag)).digest;
  }

  async list(): Promise<string[]> {
    const { route, local } = this.options;
    try {
      const response = await route.upstream.client.tags(route.remoteName);
      if (response.ok) {
        const body = (await response.json()) as { tags?: unknown };
        if (Array.isArray(body.tags))
          return body.tags.filter((tag): tag is string => typeof tag === "string").sort();
      }
      if (response.status === 404)
        throw registryError("NAME_UNKNOWN", undefined, { name: route.localName });
    } catch (err) {
      if (isRegistryError(err)) throw err;
    }
    return local.tags.list();
  }

  tag(): Promise<void> {
    return Promise.reject(mirrorReadOnly());
  }

  untag(): Promise<void> {
    return Promise.reject(mirrorReadOnly());
  }

  lookup(digest: Digest): Promise<string[]> {
    return this.options.local.tags.lookup(digest);
  }

  private async fallback(tag: string, reason: string): Promise<Digest> {
    const { route, local, logger } = this.options;
    try {
      const digest = await local.tags.resolve(tag);
      logger.warn("upstream unavailable: serving the cached tag", {
        repository: route.localName,
        tag,
        reason,
      });
      return digest;
    } catch (err) {
      if (isRegistryError(err, "MANIFEST_UNKNOWN")) throw upstreamUnavailable(reason);
      throw err;
    }
  }

  private async hasLocally(digest: Digest): Promise<boolean> {
    return this.options.local.manifests.stat(digest).then(
      () => true,
      () => false,
    );
  }
}
