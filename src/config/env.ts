import { storageSettings } from "./schema.ts";
import {
  childPath,
  choices,
  indexPath,
  isMapping,
  type Mapping,
  objectSchema,
  recordValues,
  type SchemaNode,
} from "./schemanode.ts";

const prefix = "REGISTRY_";

/** Where an override landed: the dotted key path, and the variable that set it. */
export type Overrides = Map<string, string>;

/** One step of a resolved name: the key (or list index) and the schema found there. */
interface Step {
  readonly key: string | number;
  readonly node: SchemaNode;
  readonly path: string;
}

/**
 * Applies Distribution's environment overrides: `REGISTRY_` + the key path in upper case,
 * joined by `_` (`REGISTRY_STORAGE_DELETE_ENABLED=true`). Names are resolved against the schema,
 * so keys and sections the file lacks can be set too; list items by index
 * (`REGISTRY_PROXIES_0_REMOTEURL`), map entries by key (`REGISTRY_LOG_FIELDS_SERVICE`).
 * Variables are applied sorted by name, as Distribution does, so `REGISTRY_STORAGE=s3` comes
 * before `REGISTRY_STORAGE_S3_BUCKET`. Values are YAML scalars, except for string keys, which
 * keep the text as it is (`REGISTRY_HTTP_SECRET=12345` is the string "12345").
 */
export function applyEnvironment(
  raw: Mapping,
  env: Readonly<Record<string, string | undefined>>,
  schema: SchemaNode,
  warn: (message: string) => void,
): Overrides {
  const overrides: Overrides = new Map();
  const names = Object.keys(env)
    .filter((name) => name.startsWith(prefix) && env[name] !== undefined)
    .sort();
  for (const name of names) {
    const steps = resolve(raw, schema, name.slice(prefix.length).split("_"));
    const last = steps?.at(-1);
    if (!steps || !last) {
      warn(`environment variable ${name} matches no configuration key; ignored`);
      continue;
    }
    const value = parseValue(env[name] as string, last.node);
    if (last.path === "storage" && typeof value === "string") {
      switchStorageDriver(raw, value);
      overrides.set(childPath("storage", value), name);
    } else {
      assign(raw, steps, value);
      overrides.set(last.path, name);
    }
  }
  return overrides;
}

/**
 * Walks the schema and the raw config along the name's segments without changing anything, so
 * that a name matching no key leaves no empty section behind.
 */
function resolve(raw: Mapping, schema: SchemaNode, segments: string[]): Step[] | undefined {
  const steps: Step[] = [];
  let container: Mapping | unknown[] = raw;
  let node = schema;
  let path = "";
  for (const segment of segments) {
    const step = stepInto(container, node, segment, path);
    if (!step) return undefined;
    steps.push(step);
    container = childContainer(container, step) ?? (step.node.type === "array" ? [] : {});
    node = step.node;
    path = step.path;
  }
  return steps;
}

function stepInto(
  container: Mapping | unknown[],
  node: SchemaNode,
  segment: string,
  path: string,
): Step | undefined {
  if (segment === "") return undefined;
  const object = objectSchema(node);
  if (object?.properties && !Array.isArray(container)) {
    const key = Object.keys(object.properties).find((name) => name.toUpperCase() === segment);
    const child = key === undefined ? undefined : object.properties[key];
    return key === undefined || !child
      ? undefined
      : { key, node: child, path: childPath(path, key) };
  }
  const values = recordValues(node);
  if (values && !Array.isArray(container)) {
    // An existing entry is matched case-insensitively; a new one is added in lower case.
    const key =
      Object.keys(container).find((name) => name.toUpperCase() === segment) ??
      segment.toLowerCase();
    return { key, node: values, path: childPath(path, key) };
  }
  if (node.type === "array" && node.items && Array.isArray(container) && /^\d+$/.test(segment)) {
    const index = Number(segment);
    if (index > container.length) return undefined;
    return { key: index, node: node.items, path: indexPath(path, index) };
  }
  return undefined;
}

/** The list or mapping at the step, if that is what is there. */
function childContainer(
  container: Mapping | unknown[],
  step: Step,
): Mapping | unknown[] | undefined {
  const current = (container as Record<string | number, unknown>)[step.key];
  if (step.node.type === "array") return Array.isArray(current) ? current : undefined;
  return isMapping(current) ? current : undefined;
}

/** Sets the value at the end of the steps, creating (or replacing scalars with) sections. */
function assign(raw: Mapping, steps: readonly Step[], value: unknown): void {
  let container: Mapping | unknown[] = raw;
  for (const [i, step] of steps.entries()) {
    const slots = container as Record<string | number, unknown>;
    if (i === steps.length - 1) {
      slots[step.key] = value;
      return;
    }
    const child: Mapping | unknown[] =
      childContainer(container, step) ?? (step.node.type === "array" ? [] : {});
    slots[step.key] = child;
    container = child;
  }
}

/** An empty value resets the key to its default, unless the empty string is a value there. */
function parseValue(text: string, node: SchemaNode): unknown {
  const words = choices(node);
  if (node.type === "string" || (words && (text !== "" || words.includes("")))) return text;
  try {
    return Bun.YAML.parse(text);
  } catch {
    return text;
  }
}

/** `REGISTRY_STORAGE=<driver>`: that driver replaces the configured one; settings stay. */
function switchStorageDriver(raw: Mapping, driver: string): void {
  if (!isMapping(raw.storage)) raw.storage = {};
  const storage = raw.storage as Mapping;
  const isSetting = (key: string) => (storageSettings as readonly string[]).includes(key);
  for (const key of Object.keys(storage))
    if (key !== driver && !isSetting(key)) delete storage[key];
  if (!isMapping(storage[driver])) storage[driver] = {};
}
