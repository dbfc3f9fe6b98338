import { storageSettings } from "./schema.ts";
import { isMapping, type Mapping } from "./schemanode.ts";

/**
 * Rewrites the shapes Distribution accepts into the one the schema describes. Runs on the raw
 * YAML before and after the environment overrides; running it twice changes nothing.
 *
 * - `storage: inmemory` / `auth: htpasswd` (a bare name) means that driver/method, no parameters;
 * - a driver or method given without parameters (`filesystem:`) is an empty section;
 * - the deprecated top-level `loglevel` applies when `log.level` is not set;
 * - `storage.cache.layerinfo` is the old name of `blobdescriptor`.
 */
export function normalizeDistributionShapes(raw: Mapping, warn: (message: string) => void): void {
  if (typeof raw.storage === "string") raw.storage = { [raw.storage]: {} };
  if (isMapping(raw.storage)) emptyVariantsToSections(raw.storage, storageSettings);
  if (typeof raw.auth === "string") raw.auth = { [raw.auth]: {} };
  if (isMapping(raw.auth)) emptyVariantsToSections(raw.auth, []);
  moveDeprecatedLoglevel(raw, warn);
  if (isMapping(raw.storage) && isMapping(raw.storage.cache)) renameLayerinfo(raw.storage.cache);
}

function emptyVariantsToSections(section: Mapping, settings: readonly string[]): void {
  for (const [key, value] of Object.entries(section)) {
    // inmemory keeps its null: the schema accepts it and it reads as "no parameters" there too.
    if (value === null && key !== "inmemory" && !settings.includes(key)) section[key] = {};
  }
}

function moveDeprecatedLoglevel(raw: Mapping, warn: (message: string) => void): void {
  if (raw.loglevel === undefined) return;
  warn('configuration key "loglevel" is deprecated: use log.level');
  if (!isMapping(raw.log)) raw.log = {};
  const log = raw.log as Mapping;
  if (log.level === undefined || log.level === null) log.level = raw.loglevel;
  delete raw.loglevel;
}

function renameLayerinfo(cache: Mapping): void {
  if (cache.layerinfo === undefined) return;
  if (cache.blobdescriptor === undefined || cache.blobdescriptor === null)
    cache.blobdescriptor = cache.layerinfo;
  delete cache.layerinfo;
}
