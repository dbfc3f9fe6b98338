import { formatDuration } from "./duration.ts";
import { type Config, ConfigSchema } from "./schema.ts";
import {
  asNode,
  isMapping,
  type Mapping,
  objectSchema,
  recordValues,
  type SchemaNode,
} from "./schemanode.ts";

export const redacted = "<redacted>";

/** Keys whose values are secrets wherever they appear (passwords of every section included). */
const secretKeys = new Set(["password", "secretkey", "accesskey", "sessiontoken", "secret"]);

/** `http.tls.key` is a file name, fine to show; a key pasted inline is not. */
const isInlineKey = (key: string, value: string): boolean =>
  key === "key" && value.includes("PRIVATE KEY");

/** A copy of the config with every secret replaced by `<redacted>`, fit for printing or logs. */
export function redactConfig(config: Config): Config {
  return redactValue(config) as Config;
}

function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (!isMapping(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [
      key,
      typeof child === "string" && child !== "" && (secretKeys.has(key) || isInlineKey(key, child))
        ? redacted
        : redactValue(child),
    ]),
  );
}

/**
 * The effective config as YAML, secrets redacted and durations in Go's syntax, so that it
 * reads back (`loadConfig({ text })`) to the same config, secrets aside.
 */
export function formatConfig(config: Config): string {
  return Bun.YAML.stringify(withDurations(redactConfig(config), asNode(ConfigSchema)), null, 2);
}

function withDurations(value: unknown, node: SchemaNode): unknown {
  if (node.duration && typeof value === "number") return formatDuration(value);
  if (Array.isArray(value)) {
    const items = node.items;
    return items ? value.map((item) => withDurations(item, items)) : value;
  }
  if (!isMapping(value)) return value;
  const values = recordValues(node);
  const properties = objectSchema(node)?.properties ?? {};
  return Object.fromEntries(
    Object.entries(value as Mapping).map(([key, child]) => {
      const childNode = values ?? properties[key];
      return [key, childNode ? withDurations(child, childNode) : child];
    }),
  );
}
