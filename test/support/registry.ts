import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/http/app.ts";
import { silentLogger } from "../../src/log.ts";
import { type Digest, digestOf } from "../../src/registry/digest.ts";
import { mediaTypes } from "../../src/registry/mediatypes.ts";
import type { StorageDriver } from "../../src/storage/driver/driver.ts";
import { FilesystemDriver } from "../../src/storage/driver/filesystem.ts";
import { InMemoryDriver } from "../../src/storage/driver/inmemory.ts";
import { LocalNamespace, type StatterFactory } from "../../src/storage/registry.ts";

export interface TestRegistryOptions {
  readonly deleteEnabled?: boolean;
  readonly readOnly?: boolean;
  readonly driver?: StorageDriver;
  readonly prefix?: string;
  readonly relativeURLs?: boolean;
  readonly headers?: Record<string, string[]>;
  readonly cachedStatter?: StatterFactory;
}

/** Anything that answers registry requests: an in-process app, a mirror, an upstream. */
export interface Requester {
  request(method: string, path: string, init?: RequestInit): Promise<Response>;
}

export interface TestRegistry extends Requester {
  readonly driver: StorageDriver;
  readonly app: ReturnType<typeof createApp>;
}

/** The same object graph the server builds, with in-memory parts, driven through `app.handle`. */
export function testRegistry(options: TestRegistryOptions = {}): TestRegistry {
  const driver = options.driver ?? new InMemoryDriver();
  const namespace = new LocalNamespace({
    driver,
    deleteEnabled: options.deleteEnabled ?? true,
    redirect: false,
    cachedStatter: options.cachedStatter,
  });
  const app = createApp({
    namespace,
    logger: silentLogger,
    http: { prefix: options.prefix ?? "", host: "", relativeURLs: options.relativeURLs ?? false },
    headers: options.headers ?? { "X-Content-Type-Options": ["nosniff"] },
    readOnly: options.readOnly ?? false,
    accessLog: false,
  });
  return {
    driver,
    app,
    request: (method, path, init) =>
      app.handle(new Request(`http://registry.test${path}`, { ...init, method })),
  };
}

export async function tempFilesystemDriver(): Promise<{
  driver: FilesystemDriver;
  root: string;
  cleanup: () => Promise<void>;
}> {
  const root = await mkdtemp(join(tmpdir(), "skiff-test-"));
  return {
    driver: new FilesystemDriver({ rootdirectory: root }),
    root,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export type Bytes = Uint8Array<ArrayBuffer>;

export const bytes = (text: string): Bytes => new TextEncoder().encode(text) as Bytes;

/** Deterministic pseudo-random bytes (xorshift), so tests need no fixtures. */
export function randomBytes(size: number, seed = 1): Bytes {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export async function pushBlob(
  registry: Requester,
  name: string,
  content: Uint8Array,
): Promise<Digest> {
  const digest = digestOf(content);
  const response = await registry.request("POST", `/v2/${name}/blobs/uploads/?digest=${digest}`, {
    body: content,
  });
  if (response.status !== 201)
    throw new Error(`push blob: ${response.status} ${await response.text()}`);
  return digest;
}

export interface PushedImage {
  readonly config: Digest;
  readonly layers: Digest[];
  readonly manifest: Bytes;
  readonly digest: Digest;
}

export function imageManifest(
  config: { digest: Digest; size: number },
  layers: { digest: Digest; size: number }[],
  extra: Record<string, unknown> = {},
  mediaType: string = mediaTypes.ociManifest,
): Bytes {
  const isOCI = mediaType === mediaTypes.ociManifest;
  return bytes(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: {
        mediaType: isOCI
          ? "application/vnd.oci.image.config.v1+json"
          : "application/vnd.docker.container.image.v1+json",
        ...config,
      },
      layers: layers.map((layer) => ({
        mediaType: isOCI
          ? "application/vnd.oci.image.layer.v1.tar+gzip"
          : "application/vnd.docker.image.rootfs.diff.tar.gzip",
        ...layer,
      })),
      ...extra,
    }),
  );
}

/** Pushes a config, `layerCount` layers and an image manifest under `tag`. */
export async function pushImage(
  registry: Requester,
  name: string,
  tag: string,
  seed = 1,
  layerCount = 2,
  mediaType: string = mediaTypes.ociManifest,
): Promise<PushedImage> {
  const configBytes = bytes(JSON.stringify({ architecture: "amd64", os: "linux", seed }));
  const config = await pushBlob(registry, name, configBytes);
  const layerBytes = Array.from({ length: layerCount }, (_, i) =>
    randomBytes(1024 + i, seed * 100 + i),
  );
  const layers = await Promise.all(layerBytes.map((layer) => pushBlob(registry, name, layer)));
  const manifest = imageManifest(
    { digest: config, size: configBytes.byteLength },
    layers.map((digest, i) => ({ digest, size: (layerBytes[i] as Uint8Array).byteLength })),
    {},
    mediaType,
  );
  const response = await registry.request("PUT", `/v2/${name}/manifests/${tag}`, {
    body: manifest,
    headers: { "Content-Type": mediaType },
  });
  if (response.status !== 201)
    throw new Error(`push manifest: ${response.status} ${await response.text()}`);
  return { config, layers, manifest, digest: digestOf(manifest) };
}

export async function errorCode(response: Response): Promise<string | undefined> {
  const body = (await response.json()) as { errors?: { code: string }[] };
  return body.errors?.[0]?.code;
}
