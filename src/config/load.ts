import type { TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { defaultConfigText } from "./default.ts";
import { parseDuration } from "./duration.ts";
import { type Config, ConfigSchema, storageDrivers } from "./schema.ts";

/** A configuration that cannot be used; the message lists every failing key and why. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
}

export interface LoadOptions {
  /** A YAML file; without it (and without `text`) the embedded default is used. */
  readonly path?: string;
  readonly text?: string;
  readonly env?: Record<string, string | undefined>;
  readonly warn?: (message: string) => void;
}

type Json = Record<string, unknown>;
type SchemaNode = TSchema & {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  duration?: boolean;
  type?: string | string[];
};

export function loadConfig(options: LoadOptions = {}): Config {
  const warn = options.warn ?? (() => {});
  const raw = parseYaml(readText(options), options.path ?? "embedded default");
  applyEnvironment(raw, options.env ?? {});
  normalizeAliases(raw);
  for (const key of unknownKeys(raw, ConfigSchema as SchemaNode, ""))
    warn(`unknown configuration key "${key}" ignored`);
  return validate(raw);
}

function readText(options: LoadOptions): string {
  if (options.text !== undefined) return options.text;
  if (options.path === undefined) return defaultConfigText;
  try {
    return require("node:fs").readFileSync(options.path, "utf8") as string;
  } catch (err) {
    throw new ConfigError([`cannot read ${options.path}: ${(err as Error).message}`]);
  }
}

function parseYaml(text: string, source: string): Json {
  let value: unknown;
  try {
    value = Bun.YAML.parse(text);
  } catch (err) {
    throw new ConfigError([`${source}: invalid YAML: ${(err as Error).message}`]);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw new ConfigError([`${source}: the configuration must be a YAML mapping`]);
  return value as Json;
}

/**
 * `REGISTRY_<KEY>_<PATH>` overrides, resolved against the schema so keys absent from the file
 * can be set too. `REGISTRY_STORAGE=<driver>` switches the storage driver, as in Distribution.
 */
function applyEnvironment(raw: Json, env: Record<string, string | undefined>): void {
  const driver = env.REGISTRY_STORAGE?.trim();
  if (driver) {
    const storage = ensureObject(raw, "storage");
    for (const other of storageDrivers) if (other !== driver) delete storage[other];
    storage[driver] ??= {};
  }
  const targets = envTargets(ConfigSchema as SchemaNode, "REGISTRY", []);
  for (const [name, value] of Object.entries(env)) {
    const target = name === "REGISTRY_STORAGE" ? undefined : targets.get(name);
    if (!target || value === undefined) continue;
    setPath(raw, target.path, envValue(value, target.schema));
  }
}

function envTargets(
  schema: SchemaNode,
  prefix: string,
  path: string[],
  out = new Map<string, { path: string[]; schema: SchemaNode }>(),
) {
  const object = objectSchema(schema);
  if (!object?.properties) return out;
  for (const [key, child] of Object.entries(object.properties)) {
    const name = `${prefix}_${key.toUpperCase()}`;
    out.set(name, { path: [...path, key], schema: child });
    envTargets(child, name, [...path, key], out);
  }
  return out;
}

/** Strings stay strings; other types take the YAML reading of the value (`true`, `5`, `[a]`). */
function envValue(value: string, schema: SchemaNode): unknown {
  if (schema.type === "string") return value;
  try {
    return Bun.YAML.parse(value);
  } catch {
    return value;
  }
}

/** Values Distribution accepts that skiff spells differently. */
function normalizeAliases(raw: Json): void {
  const log = raw.log;
  if (!isObject(log)) return;
  const levels: Record<string, string> = { warning: "warn", panic: "error", fatal: "error" };
  if (typeof log.level === "string") log.level = levels[log.level] ?? log.level;
  if (log.formatter === "logstash") log.formatter = "json";
}

function unknownKeys(value: unknown, schema: SchemaNode, path: string): string[] {
  if (schema.items && Array.isArray(value)) {
    return value.flatMap((item, i) =>
      unknownKeys(item, schema.items as SchemaNode, `${path}[${i}]`),
    );
  }
  const object = objectSchema(schema);
  if (!object?.properties || !isObject(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const childPath = path ? `${path}.${key}` : key;
    const childSchema = object.properties?.[key];
    return childSchema ? unknownKeys(child, childSchema, childPath) : [childPath];
  });
}

function validate(raw: Json): Config {
  const value = Value.Clean(
    ConfigSchema,
    Value.Default(ConfigSchema, Value.Convert(ConfigSchema, raw)),
  );
  const problems = [...Value.Errors(ConfigSchema, value)].map(
    (error) =>
      `${dotted(error.path)}: ${error.message.toLowerCase()}, got ${JSON.stringify(error.value)}`,
  );
  problems.push(...convertDurations(value, ConfigSchema as SchemaNode, ""));
  problems.push(...checkStorage(value as Json));
  if (problems.length > 0) throw new ConfigError(problems);
  const config = value as Config;
  config.version = String(config.version);
  return config;
}

function convertDurations(value: unknown, schema: SchemaNode, path: string): string[] {
  if (schema.items && Array.isArray(value))
    return value.flatMap((item, i) =>
      convertDurations(item, schema.items as SchemaNode, `${path}[${i}]`),
    );
  const object = objectSchema(schema);
  if (!object?.properties || !isObject(value)) return [];
  const problems: string[] = [];
  for (const [key, child] of Object.entries(object.properties)) {
    const childPath = path ? `${path}.${key}` : key;
    if (child.duration && (typeof value[key] === "string" || typeof value[key] === "number")) {
      try {
        value[key] = parseDuration(value[key] as string | number);
      } catch (err) {
        problems.push(`${childPath}: ${(err as Error).message}`);
      }
    } else problems.push(...convertDurations(value[key], child, childPath));
  }
  return problems;
}

function checkStorage(value: Json): string[] {
  const storage = isObject(value.storage) ? value.storage : {};
  const configured = storageDrivers.filter(
    (name) => name in storage && storage[name] !== undefined,
  );
  if (configured.length === 1) return [];
  if (configured.length === 0)
    return [`storage: no storage driver configured (one of ${storageDrivers.join(", ")})`];
  return [`storage: exactly one storage driver must be configured, found ${configured.join(", ")}`];
}

function objectSchema(schema: SchemaNode): SchemaNode | undefined {
  if (schema.properties) return schema;
  return schema.anyOf?.find((option) => option.properties);
}

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function ensureObject(parent: Json, key: string): Json {
  if (!isObject(parent[key])) parent[key] = {};
  return parent[key] as Json;
}

function setPath(target: Json, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) node = ensureObject(node, key);
  node[path[path.length - 1] as string] = value;
}

const dotted = (pointer: string): string =>
  pointer.replace(/^\//, "").replaceAll("/", ".") || "(root)";
