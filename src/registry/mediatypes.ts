export const mediaTypes = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerSchema1: "application/vnd.docker.distribution.manifest.v1+json",
  dockerSchema1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
  dockerForeignLayer: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociEmpty: "application/vnd.oci.empty.v1+json",
} as const;

export const imageManifestTypes: ReadonlySet<string> = new Set([
  mediaTypes.dockerManifest,
  mediaTypes.ociManifest,
]);
export const indexManifestTypes: ReadonlySet<string> = new Set([
  mediaTypes.dockerManifestList,
  mediaTypes.ociIndex,
]);

export const isManifestMediaType = (value: string): boolean =>
  imageManifestTypes.has(value) || indexManifestTypes.has(value);
