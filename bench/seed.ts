/** Pushes one small image over HTTP (config, a 1 MiB layer, an OCI manifest tagged `latest`). */
export async function seedImage(
  url: string,
  name: string,
): Promise<{ layer: string; manifest: string; manifestMediaType: string }> {
  const layer = new Uint8Array(1024 * 1024).map((_, i) => (i * 7919) & 0xff);
  const config = new TextEncoder().encode(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: [] },
    }),
  );
  const push = async (content: Uint8Array) => {
    const digest = `sha256:${new Bun.CryptoHasher("sha256").update(content).digest("hex")}`;
    // POST then PUT with the body: Distribution 2.8 has no single-request monolithic upload.
    const start = await fetch(`${url}/v2/${name}/blobs/uploads/`, { method: "POST" });
    const location = new URL(start.headers.get("location") ?? "", url);
    location.searchParams.set("digest", digest);
    const response = await fetch(location, {
      method: "PUT",
      body: content,
      headers: { "Content-Type": "application/octet-stream" },
    });
    if (response.status !== 201)
      throw new Error(`seed blob: ${response.status} ${await response.text()}`);
    return { digest, size: content.byteLength };
  };
  const configDescriptor = await push(config);
  const layerDescriptor = await push(layer);
  const manifestMediaType = "application/vnd.oci.image.manifest.v1+json";
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: manifestMediaType,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...configDescriptor },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layerDescriptor }],
  });
  const response = await fetch(`${url}/v2/${name}/manifests/latest`, {
    method: "PUT",
    body: manifest,
    headers: { "Content-Type": manifestMediaType },
  });
  if (response.status !== 201)
    throw new Error(`seed manifest: ${response.status} ${await response.text()}`);
  return {
    layer: layerDescriptor.digest,
    manifest: response.headers.get("docker-content-digest") ?? "",
    manifestMediaType,
  };
}
