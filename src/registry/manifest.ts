import { type Digest, isDigest } from "./digest.ts";
import { registryError } from "./errors.ts";
import {
  imageManifestTypes,
  indexManifestTypes,
  isManifestMediaType,
  mediaTypes,
} from "./mediatypes.ts";

export const maxManifestBytes = 4 * 1024 * 1024;

export interface ManifestReference {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly size: number;
  readonly urls?: readonly string[];
}

/** What the registry must know about a manifest to store it and answer about it. */
export interface ParsedManifest {
  readonly mediaType: string;
  /** Config and layers: blobs that must be linked in the repository. */
  readonly blobs: readonly ManifestReference[];
  /** Child manifests of an index that must exist in the repository. */
  readonly manifests: readonly ManifestReference[];
  readonly subject?: ManifestReference;
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
}

type Json = Record<string, unknown>;

const invalid = (reason: string, detail?: unknown) =>
  registryError("MANIFEST_INVALID", `manifest invalid: ${reason}`, detail);

/** Parses and validates an image manifest or index; MANIFEST_INVALID with the reason otherwise. */
export function parseManifest(content: Uint8Array, contentType?: string): ParsedManifest {
  const json = parseJson(content);
  if (json.schemaVersion !== 2)
    throw invalid("schemaVersion must be 2 (schema 1 is not supported)");
  const mediaType = resolveMediaType(json, contentType);
  if (indexManifestTypes.has(mediaType)) return parseIndex(json, mediaType);
  return parseImage(json, mediaType);
}

/** Real manifests nest a few levels; deeper input is refused before the parser sees it. */
export const maxJsonDepth = 64;

/** The deepest `[`/`{` nesting outside strings, found in one linear pass. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

function parseJson(content: Uint8Array): Json {
  let value: unknown;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(content);
  } catch {
    throw invalid("not valid UTF-8");
  }
  if (jsonDepth(text) > maxJsonDepth)
    throw invalid(`JSON nested deeper than ${maxJsonDepth} levels`);
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalid(`not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw invalid("not a JSON object");
  return value as Json;
}

/** The `mediaType` field wins; it must agree with a manifest Content-Type when both are set. */
function resolveMediaType(json: Json, contentType?: string): string {
  const declared = typeof json.mediaType === "string" ? json.mediaType : undefined;
  const header = contentType?.split(";")[0]?.trim();
  const headerType = header && isManifestMediaType(header) ? header : undefined;
  if (declared && headerType && declared !== headerType) {
    throw invalid(`mediaType ${declared} does not match Content-Type ${headerType}`);
  }
  const mediaType = declared ?? headerType ?? detectMediaType(json);
  if (!isManifestMediaType(mediaType))
    throw invalid(`unsupported manifest media type ${JSON.stringify(mediaType)}`);
  return mediaType;
}

const detectMediaType = (json: Json): string =>
  Array.isArray(json.manifests) ? mediaTypes.ociIndex : mediaTypes.ociManifest;

export function manifestMediaType(content: Uint8Array): string {
  try {
    const json = JSON.parse(new TextDecoder().decode(content)) as Json;
    return typeof json.mediaType === "string" ? json.mediaType : detectMediaType(json);
  } catch {
    return mediaTypes.ociManifest;
  }
}

function parseImage(json: Json, mediaType: string): ParsedManifest {
  if (!imageManifestTypes.has(mediaType))
    throw invalid(`unsupported manifest media type ${mediaType}`);
  const config = parseReference(json.config, "config");
  if (!Array.isArray(json.layers)) throw invalid("layers must be an array");
  const layers = json.layers.map((layer, i) => parseReference(layer, `layers[${i}]`));
  const blobs = [config, ...layers.filter((layer) => !isForeignLayer(layer))];
  return withOptional({ mediaType, blobs, manifests: [] }, json, config);
}

function parseIndex(json: Json, mediaType: string): ParsedManifest {
  if (!Array.isArray(json.manifests)) throw invalid("manifests must be an array");
  const manifests = json.manifests.map((child, i) => parseReference(child, `manifests[${i}]`));
  return withOptional({ mediaType, blobs: [], manifests }, json);
}

function withOptional(
  base: ParsedManifest,
  json: Json,
  config?: ManifestReference,
): ParsedManifest {
  const subject = json.subject === undefined ? undefined : parseReference(json.subject, "subject");
  const artifactType = typeof json.artifactType === "string" ? json.artifactType : undefined;
  const configType =
    config && config.mediaType !== mediaTypes.ociEmpty ? config.mediaType : undefined;
  const annotations = isStringMap(json.annotations) ? json.annotations : undefined;
  return {
    ...base,
    subject,
    artifactType: artifactType ?? (subject ? configType : undefined),
    annotations,
  };
}

function parseReference(value: unknown, where: string): ManifestReference {
  if (typeof value !== "object" || value === null)
    throw invalid(`${where} must be a descriptor object`);
  const ref = value as Json;
  if (typeof ref.digest !== "string" || !isDigest(ref.digest))
    throw invalid(`${where}.digest is not a valid digest`, { digest: ref.digest });
  if (typeof ref.size !== "number" || !Number.isSafeInteger(ref.size) || ref.size < 0)
    throw invalid(`${where}.size must be a non-negative integer`);
  if (typeof ref.mediaType !== "string" || ref.mediaType === "")
    throw invalid(`${where}.mediaType is required`);
  const urls = Array.isArray(ref.urls)
    ? ref.urls.filter((u): u is string => typeof u === "string")
    : undefined;
  return { digest: ref.digest, size: ref.size, mediaType: ref.mediaType, urls };
}

/** Foreign (non-distributable) layers with URLs live elsewhere; they need not be in the repository. */
const isForeignLayer = (layer: ManifestReference): boolean =>
  (layer.mediaType === mediaTypes.dockerForeignLayer ||
    layer.mediaType.includes("nondistributable")) &&
  (layer.urls?.length ?? 0) > 0;

const isStringMap = (value: unknown): value is Record<string, string> =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  Object.values(value).every((v) => typeof v === "string");
