import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { digestOf } from "../../src/registry/digest.ts";
import { randomBytes } from "./registry.ts";

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
  put("        ", 148);
  put("0", 156);
  put("ustar\u000000", 257);
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  put(`${octal(checksum, 7)}\u0000`, 148);
  const padded = Math.ceil(content.byteLength / 512) * 512;
  const archive = new Uint8Array(512 + padded + 1024);
  archive.set(header, 0);
  archive.set(content, 512);
  return archive;
}

export interface LayoutImage {
  readonly dir: string;
  readonly tag: string;
  readonly manifestDigest: string;
  readonly layerDigests: string[];
}

export interface LayoutOptions {
  readonly tag?: string;
  readonly layers?: number;
  readonly layerSize?: number;
  readonly seed?: number;
}

/**
 * Writes an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/...`) with gzip'd tar
 * layers of deterministic random content: an image skopeo can copy with `oci:<dir>:<tag>`.
 */
export async function writeOciLayout(
  dir: string,
  options: LayoutOptions = {},
): Promise<LayoutImage> {
  const { tag = "latest", layers = 2, layerSize = 64 * 1024, seed = 1 } = options;
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  const writeBlob = async (content: Uint8Array) => {
    const digest = digestOf(content);
    await writeFile(join(dir, "blobs", "sha256", digest.slice(7)), content);
    return { digest, size: content.byteLength };
  };
  const tars = Array.from({ length: layers }, (_, i) =>
    tarOf(`file-${i}.bin`, randomBytes(layerSize, seed * 1000 + i)),
  );
  const layerDescriptors = await Promise.all(
    tars.map((tar) => writeBlob(Bun.gzipSync(tar as Uint8Array<ArrayBuffer>, { level: 1 }))),
  );
  const config = await writeBlob(
    new TextEncoder().encode(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        config: { Env: ["PATH=/usr/bin"], Cmd: ["/file-0.bin"] },
        rootfs: { type: "layers", diff_ids: tars.map((tar) => digestOf(tar)) },
        history: tars.map((_, i) => ({ created_by: `layer ${i}` })),
      }),
    ),
  );
  const manifest = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
      layers: layerDescriptors.map((layer) => ({
        mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
        ...layer,
      })),
    }),
  );
  const manifestDescriptor = await writeBlob(manifest);
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          ...manifestDescriptor,
          annotations: { "org.opencontainers.image.ref.name": tag },
        },
      ],
    }),
  );
  return {
    dir,
    tag,
    manifestDigest: manifestDescriptor.digest,
    layerDigests: layerDescriptors.map((layer) => layer.digest),
  };
}
