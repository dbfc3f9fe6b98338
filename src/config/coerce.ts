import { parseDuration } from "./duration.ts";
import {
  acceptsNull,
  childPath,
  choices,
  indexPath,
  isMapping,
  type Mapping,
  objectSchema,
  recordValues,
  type SchemaNode,
} from "./schemanode.ts";

/** A key path and what is wrong with its value. */
export interface Problem {
  readonly path: string;
  readonly reason: string;
}

export interface Coercion {
  readonly problems: Problem[];
  readonly warnings: string[];
}

// Booleans as Distribution reads them: YAML 1.1 words (yaml.v2) and Go's strconv.ParseBool.
const trueWords = new Set(["true", "yes", "y", "on", "t", "1"]);
const falseWords = new Set(["false", "no", "n", "off", "f", "0"]);

/**
 * Brings a raw YAML value to the schema's types the way Distribution would read it: numbers and
 * booleans in string keys become text, numeric strings become numbers, `yes`/`on` are true,
 * choices are case-insensitive with their aliases, durations become milliseconds, a `null` key
 * counts as absent (its default applies), a single string stands for a one-item list.
 * Returns the coerced copy; anything it cannot read is left for the schema check to report.
 */
export function coerce(value: unknown, node: SchemaNode, path: string, out: Coercion): unknown {
  if (node.duration) return coerceDuration(value, path, out);
  const words = choices(node);
  if (words) return coerceChoice(value, node, words);
  const object = objectSchema(node);
  if (object && isMapping(value)) return coerceObject(value, object, path, out);
  const values = recordValues(node);
  if (values && isMapping(value)) return coerceRecord(value, values, path, out);
  if (node.type === "array" && node.items) return coerceList(value, node.items, path, out);
  return coerceScalar(value, node.type);
}

function coerceObject(value: Mapping, node: SchemaNode, path: string, out: Coercion): Mapping {
  const result: Mapping = { ...value };
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    if (!(key in result)) continue;
    if (result[key] === null && !acceptsNull(child)) delete result[key];
    else result[key] = coerce(result[key], child, childPath(path, key), out);
  }
  return result;
}

function coerceRecord(value: Mapping, node: SchemaNode, path: string, out: Coercion): Mapping {
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [
      key,
      coerce(child, node, childPath(path, key), out),
    ]),
  );
}

function coerceList(value: unknown, items: SchemaNode, path: string, out: Coercion): unknown {
  const list = typeof value === "string" && items.type === "string" ? [value] : value;
  if (!Array.isArray(list)) return list;
  return list.map((item, i) => coerce(item, items, indexPath(path, i), out));
}

function coerceChoice(value: unknown, node: SchemaNode, words: string[]): unknown {
  if (typeof value !== "string") return value;
  const word = value.trim().toLowerCase();
  if (words.includes(word)) return word;
  return node.aliases?.[word] ?? value;
}

function coerceDuration(value: unknown, path: string, out: Coercion): unknown {
  if (typeof value !== "string" && typeof value !== "number") return value;
  if (typeof value === "number" && value !== 0)
    out.warnings.push(
      `${path}: ${value} has no unit and is read as ${value}ns, as Distribution does (write "${value}s" for seconds)`,
    );
  try {
    return parseDuration(value);
  } catch (err) {
    out.problems.push({ path, reason: (err as Error).message });
    return undefined;
  }
}

function coerceScalar(value: unknown, type: string | undefined): unknown {
  switch (type) {
    case "string":
      return typeof value === "number" || typeof value === "boolean" ? String(value) : value;
    case "boolean":
      return toBoolean(value);
    case "integer":
      return typeof value === "string" && /^[+-]?\d+$/.test(value.trim())
        ? Number(value.trim())
        : value;
    case "number":
      return typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))
        ? Number(value)
        : value;
    default:
      return value;
  }
}

function toBoolean(value: unknown): unknown {
  const word = typeof value === "string" || typeof value === "number" ? String(value) : undefined;
  if (word === undefined) return value;
  const lower = word.trim().toLowerCase();
  if (trueWords.has(lower)) return true;
  if (falseWords.has(lower)) return false;
  return value;
}
