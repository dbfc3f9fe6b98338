import { type Digest, digestParts } from "../registry/digest.ts";

/**
 * Driver paths of Distribution's layout, so a data folder can be shared between the two:
 * blobs are content-addressed once; repositories hold only link files naming digests.
 */
export const registryRoot = "/docker/registry/v2";
export const repositoriesRoot = `${registryRoot}/repositories`;
export const blobsRoot = `${registryRoot}/blobs`;

const digestDir = (digest: Digest): string => {
  const { algorithm, hex } = digestParts(digest);
  return `${algorithm}/${hex}`;
};

export function blobDataPath(digest: Digest): string {
  const { algorithm, hex } = digestParts(digest);
  return `${blobsRoot}/${algorithm}/${hex.slice(0, 2)}/${hex}/data`;
}

export const repositoryPath = (name: string): string => `${repositoriesRoot}/${name}`;

export const layerLinkPath = (name: string, digest: Digest): string =>
  `${repositoryPath(name)}/_layers/${digestDir(digest)}/link`;

export const manifestRevisionsPath = (name: string): string =>
  `${repositoryPath(name)}/_manifests/revisions`;

export const manifestRevisionLinkPath = (name: string, digest: Digest): string =>
  `${manifestRevisionsPath(name)}/${digestDir(digest)}/link`;

export const manifestTagsPath = (name: string): string => `${repositoryPath(name)}/_manifests/tags`;

export const manifestTagPath = (name: string, tag: string): string =>
  `${manifestTagsPath(name)}/${tag}`;

export const tagCurrentLinkPath = (name: string, tag: string): string =>
  `${manifestTagPath(name, tag)}/current/link`;

export const tagIndexEntryLinkPath = (name: string, tag: string, digest: Digest): string =>
  `${manifestTagPath(name, tag)}/index/${digestDir(digest)}/link`;

export const uploadPath = (name: string, id: string): string =>
  `${repositoryPath(name)}/_uploads/${id}`;

export const uploadDataPath = (name: string, id: string): string => `${uploadPath(name, id)}/data`;

export const uploadStartedAtPath = (name: string, id: string): string =>
  `${uploadPath(name, id)}/startedat`;

/**
 * Referrers are a skiff addition (Distribution 2.8 has no referrers API): one link per
 * referring manifest under its subject, in a `_`-prefixed folder that Distribution ignores.
 */
export const referrersPath = (name: string, subject: Digest): string =>
  `${repositoryPath(name)}/_referrers/${digestDir(subject)}`;

export const referrerLinkPath = (name: string, subject: Digest, referrer: Digest): string =>
  `${referrersPath(name, subject)}/${digestDir(referrer)}/link`;
