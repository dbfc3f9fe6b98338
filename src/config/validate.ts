import type { TSchema } from "@sinclair/typebox";
import { Value, type ValueError, ValueErrorType } from "@sinclair/typebox/value";
import type { Problem } from "./coerce.ts";
import type { Config } from "./schema.ts";
import { asNode, choices, isMapping, type Mapping, type SchemaNode } from "./schemanode.ts";

const supportedVersion = "0.1";

/** What the schema finds wrong, one problem per key path, skipping paths already reported. */
export function schemaProblems(schema: TSchema, value: unknown, reported: Set<string>): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set(reported);
  for (const error of Value.Errors(schema, value)) {
    const path = dottedPath(error.path);
    if (seen.has(path)) continue;
    seen.add(path);
    problems.push({ path, reason: describe(error) });
  }
  return problems;
}

function describe(error: ValueError): string {
  if (error.value === undefined) return "required";
  const node = asNode(error.schema);
  const got = `got ${JSON.stringify(error.value)}`;
  const words = choices(node);
  if (words) return `expected one of ${words.map((w) => w || '""').join(", ")}, ${got}`;
  if (node.duration) return `expected a duration such as 10s or 1h30m, ${got}`;
  if (error.type === ValueErrorType.IntegerMinimum || error.type === ValueErrorType.NumberMinimum)
    return `must be at least ${node.minimum}, ${got}`;
  const expected = (node.anyOf ?? [node])
    .map((option) => (option.type ? typeNames[option.type] : undefined))
    .filter((name) => name !== undefined);
  if (expected.length === 0) return `${error.message.toLowerCase()}, ${got}`;
  return `expected ${expected.join(" or ")}, ${got}`;
}

const typeNames: Record<string, string> = {
  boolean: "boolean",
  integer: "integer",
  number: "number",
  string: "string",
  object: "a mapping",
  array: "a list",
  null: "nothing",
};

/** `/proxies/0/remoteurl` → `proxies[0].remoteurl`. */
function dottedPath(pointer: string): string {
  const segments = pointer
    .split("/")
    .slice(1)
    .map((segment) => segment.replaceAll("~1", "/").replaceAll("~0", "~"));
  return segments.reduce(
    (path, segment) =>
      /^\d+$/.test(segment) ? `${path}[${segment}]` : path ? `${path}.${segment}` : segment,
    "",
  );
}

/**
 * Rules that span keys: the version, one storage driver and at most one authentication method
 * (among those skiff has), a Redis address when the cache needs one, usable upstream URLs.
 * `raw` is the config before defaults and cleaning, where variant names skiff lacks still show.
 */
export function crossProblems(schema: TSchema, raw: Mapping, config: Config): Problem[] {
  return [
    ...versionProblems(config),
    ...variantProblems(asNode(schema), raw),
    ...cacheProblems(config),
    ...upstreamProblems(config),
  ];
}

function versionProblems(config: Config): Problem[] {
  if (typeof config.version !== "string" || config.version === supportedVersion) return [];
  return [
    {
      path: "version",
      reason: `unsupported configuration version ${JSON.stringify(config.version)} (skiff reads ${supportedVersion})`,
    },
  ];
}

function variantProblems(schema: SchemaNode, raw: Mapping): Problem[] {
  return Object.entries(schema.properties ?? {}).flatMap(([section, node]) => {
    const variants = node.variants;
    const value = raw[section];
    if (!variants || (value !== undefined && value !== null && !isMapping(value))) return [];
    const supported = Object.keys(node.properties ?? {}).filter(
      (key) => !variants.settings.includes(key),
    );
    const named = Object.keys(isMapping(value) ? value : {}).filter(
      (key) => !variants.settings.includes(key),
    );
    const problems: Problem[] = named
      .filter((name) => !supported.includes(name))
      .map((name) => ({
        path: `${section}.${name}`,
        reason: `${variants.kind} ${JSON.stringify(name)} is not supported by skiff (use ${supported.join(", ")})`,
      }));
    if (named.length > 1)
      problems.push({
        path: section,
        reason: `exactly one ${variants.kind} may be configured, found ${named.join(", ")}`,
      });
    if (named.length === 0 && variants.required)
      problems.push({
        path: section,
        reason: `no ${variants.kind} configured (use one of ${supported.join(", ")})`,
      });
    return problems;
  });
}

function cacheProblems(config: Config): Problem[] {
  if (config.storage?.cache?.blobdescriptor !== "redis") return [];
  if (config.redis?.addr || config.redis?.addrs?.length) return [];
  return [
    {
      path: "storage.cache.blobdescriptor",
      reason: "redis needs a Redis server: set redis.addr (or redis.addrs)",
    },
  ];
}

function upstreamProblems(config: Config): Problem[] {
  const problems: Problem[] = [];
  if (typeof config.proxy?.remoteurl === "string")
    problems.push(...remoteUrlProblems("proxy.remoteurl", config.proxy.remoteurl));
  const prefixes = new Set<string>();
  for (const [i, upstream] of (Array.isArray(config.proxies) ? config.proxies : []).entries()) {
    if (typeof upstream?.remoteurl === "string")
      problems.push(...remoteUrlProblems(`proxies[${i}].remoteurl`, upstream.remoteurl));
    if (typeof upstream?.prefix !== "string") continue;
    const prefix = upstream.prefix.replace(/^\/+|\/+$/g, "");
    if (prefix === "")
      problems.push({ path: `proxies[${i}].prefix`, reason: "must name a prefix, e.g. docker.io" });
    else if (prefixes.has(prefix))
      problems.push({ path: `proxies[${i}].prefix`, reason: `${prefix} is already mirrored` });
    prefixes.add(prefix);
  }
  return problems;
}

function remoteUrlProblems(path: string, url: string): Problem[] {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (parsed && (parsed.protocol === "http:" || parsed.protocol === "https:")) return [];
  return [{ path, reason: `expected an http(s) URL, got ${JSON.stringify(url)}` }];
}
