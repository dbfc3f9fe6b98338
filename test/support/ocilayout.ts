import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { digestOf } from "../../src/registry/digest.ts";
import { randomBytes } from "./registry.ts";

const ociTypes = {
  manifest: "application/vnd.oci.image.manifest.v1+json",
  index: "application/vnd.oci.image.index.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

const refNameAnnotation = "org.opencontainers.image.ref.name";

/** A minimal ustar archive holding one regular file, so layers are real tarballs. */
export function tarOf(name: string, content: Uint8Array): Uint8Array {
  const header = new Uint8Array(512);
  const put = (text: string, offset: number) => header.set(new TextEncoder().encode(text), offset);
  const octal = (value: number, width: number) => value.toString(8).padStart(width - 1, "0");
  put(name, 0);
  put(octal(0o644, 8), 100);
  put(octal(0, 8), 108);
  put(octal(0, 8), 116);
  put(octal(content.byteLength, 12), 124);
  put(octal(0, 12), 136);
  // The checksum is computed with its own field read as spaces.
  put("        ", 148);
  put("0", 156);
  put("ustar\u000000", 257);
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  put(`${octal(checksum, 7)}\u0000`, 148);
  const padded = Math.ceil(content.byteLength / 512) * 512;
  // Two zero blocks close the archive.
  const archive = new Uint8Array(512 + padded + 1024);
  archive.set(header, 0);
  archive.set(content, 512);
  return archive;
}

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

/** One image (config, layers, manifest) written into a layout. */
export interface LayoutImage {
  readonly dir: string;
  readonly tag: string;
  readonly manifestDigest: string;
  readonly configDigest: string;
  readonly layerDigests: string[];
  /** The file names inside each layer's tar, in layer order. */
  readonly layerFiles: string[];
  readonly platform: Platform;
}

export interface LayoutOptions {
  readonly tag?: string;
  readonly layers?: number;
  /** Bytes of random content per layer (incompressible: the gzip'd layer is about as big). */
  readonly layerSize?: number;
  /** Same seed, same bytes, same digests. */
  readonly seed?: number;
  readonly platform?: Platform;
}

/** A multi-platform image: an OCI index over one image per platform. */
export interface LayoutIndex {
  readonly dir: string;
  readonly tag: string;
  readonly indexDigest: string;
  readonly images: LayoutImage[];
}

export interface IndexOptions extends Omit<LayoutOptions, "platform"> {
  readonly platforms?: readonly Platform[];
}

const linuxAmd64: Platform = { os: "linux", architecture: "amd64" };

const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/** Content-addressed writes into `<dir>/blobs/sha256/`. */
async function writeBlob(dir: string, mediaType: string, content: Uint8Array): Promise<Descriptor> {
  const digest = digestOf(content);
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  await writeFile(join(dir, "blobs", "sha256", digest.slice(7)), content);
  return { mediaType, digest, size: content.byteLength };
}

/** Writes layers, config and manifest of one image; tags nothing. */
async function writeImage(
  dir: string,
  options: Required<Omit<LayoutOptions, "tag">>,
): Promise<Omit<LayoutImage, "tag"> & { manifest: Descriptor }> {
  const { layers, layerSize, seed, platform } = options;
  const layerFiles = Array.from({ length: layers }, (_, i) => `file-${i}.bin`);
  const tars = layerFiles.map((name, i) => tarOf(name, randomBytes(layerSize, seed * 1000 + i)));
  const layerDescriptors = await Promise.all(
    tars.map((tar) =>
      writeBlob(dir, ociTypes.layer, Bun.gzipSync(tar as Uint8Array<ArrayBuffer>, { level: 1 })),
    ),
  );
  const config = await writeBlob(
    dir,
    ociTypes.config,
    encode({
      ...platform,
      config: { Env: ["PATH=/usr/bin"], Cmd: ["/file-0.bin"] },
      rootfs: { type: "layers", diff_ids: tars.map((tar) => digestOf(tar)) },
      history: tars.map((_, i) => ({ created_by: `layer ${i}` })),
    }),
  );
  const manifest = await writeBlob(
    dir,
    ociTypes.manifest,
    encode({ schemaVersion: 2, mediaType: ociTypes.manifest, config, layers: layerDescriptors }),
  );
  return {
    dir,
    manifest,
    manifestDigest: manifest.digest,
    configDigest: config.digest,
    layerDigests: layerDescriptors.map((layer) => layer.digest),
    layerFiles,
    platform,
  };
}

/** Adds (or replaces) the entry for `tag` in `index.json`, keeping other tags of the layout. */
async function tagInLayout(dir: string, tag: string, descriptor: Descriptor): Promise<void> {
  const indexPath = join(dir, "index.json");
  const existing = await readFile(indexPath, "utf8").then(
    (text) =>
      (JSON.parse(text) as { manifests: { annotations?: Record<string, string> }[] }).manifests,
    () => [],
  );
  const others = existing.filter((entry) => entry.annotations?.[refNameAnnotation] !== tag);
  const entry = { ...descriptor, annotations: { [refNameAnnotation]: tag } };
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(indexPath, JSON.stringify({ schemaVersion: 2, manifests: [...others, entry] }));
}

/**
 * Writes an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/...`) with gzip'd tar
 * layers of deterministic random content: an image skopeo can copy with `oci:<dir>:<tag>`.
 * Several tags can share one layout directory.
 */
export async function writeOciLayout(
  dir: string,
  options: LayoutOptions = {},
): Promise<LayoutImage> {
  const {
    tag = "latest",
    layers = 2,
    layerSize = 64 * 1024,
    seed = 1,
    platform = linuxAmd64,
  } = options;
  const { manifest, ...image } = await writeImage(dir, { layers, layerSize, seed, platform });
  await tagInLayout(dir, tag, manifest);
  return { ...image, tag };
}

/**
 * Writes a multi-platform image: one image per platform (different content each) and an OCI
 * index over them, tagged `tag`. skopeo copies all of it with `copy --all`.
 */
export async function writeOciIndexLayout(
  dir: string,
  options: IndexOptions = {},
): Promise<LayoutIndex> {
  const {
    tag = "latest",
    layers = 1,
    layerSize = 32 * 1024,
    seed = 1,
    platforms = [linuxAmd64, { os: "linux", architecture: "arm64", variant: "v8" }],
  } = options;
  const images: LayoutImage[] = [];
  const entries: (Descriptor & { platform: Platform })[] = [];
  for (const [i, platform] of platforms.entries()) {
    const { manifest, ...image } = await writeImage(dir, {
      layers,
      layerSize,
      seed: seed * 100 + i,
      platform,
    });
    images.push({ ...image, tag });
    entries.push({ ...manifest, platform });
  }
  const index = await writeBlob(
    dir,
    ociTypes.index,
    encode({ schemaVersion: 2, mediaType: ociTypes.index, manifests: entries }),
  );
  await tagInLayout(dir, tag, index);
  return { dir, tag, indexDigest: index.digest, images };
}
