import { pushMonolithic } from "./clients.ts";

const sha256 = (content: Uint8Array) =>
  `sha256:${new Bun.CryptoHasher("sha256").update(content).digest("hex")}`;

/**
 * Pushes an image tagged `latest`: a config, and either the given (already pushed) layers or
 * one fresh 1 MiB layer; the manifest is OCI.
 */
export async function seedImage(
  url: string,
  name: string,
  existingLayers?: { digest: string; size: number }[],
): Promise<{ layer: string; manifest: string; manifestMediaType: string }> {
  const config = new TextEncoder().encode(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: [] },
    }),
  );
  await pushMonolithic(url, name, config, sha256(config));
  let layers = existingLayers;
  if (!layers) {
    const layer = new Uint8Array(1024 * 1024).map((_, i) => (i * 7919) & 0xff);
    await pushMonolithic(url, name, layer, sha256(layer));
    layers = [{ digest: sha256(layer), size: layer.byteLength }];
  }
  const manifestMediaType = "application/vnd.oci.image.manifest.v1+json";
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: manifestMediaType,
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: sha256(config),
      size: config.byteLength,
    },
    layers: layers.map((layer) => ({
      mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
      ...layer,
    })),
  });
  const response = await fetch(`${url}/v2/${name}/manifests/latest`, {
    method: "PUT",
    body: manifest,
    headers: { "Content-Type": manifestMediaType },
  });
  if (response.status !== 201)
    throw new Error(`seed manifest: ${response.status} ${await response.text()}`);
  return {
    layer: (layers[0] as { digest: string }).digest,
    manifest: response.headers.get("docker-content-digest") ?? "",
    manifestMediaType,
  };
}
