import { formatDuration } from "./duration.ts";
import { type Config, ConfigSchema } from "./schema.ts";

const secretKeys = new Set(["password", "secretkey", "accesskey", "secret", "sessiontoken", "key"]);
const redacted = "<redacted>";

/** A copy of the config with every secret replaced, fit for printing or logging. */
export function redactConfig(config: Config): unknown {
  return redactValue(config);
}

function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [
      key,
      secretKeys.has(key) && typeof child === "string" && child !== ""
        ? redacted
        : redactValue(child),
    ]),
  );
}

/** The effective config as YAML, secrets redacted and durations in Go's syntax. */
export function formatConfig(config: Config): string {
  return Bun.YAML.stringify(
    withDurations(redactConfig(config), ConfigSchema as unknown as Node),
    null,
    2,
  );
}

type Node = { properties?: Record<string, Node>; items?: Node; anyOf?: Node[]; duration?: boolean };

function withDurations(value: unknown, schema: Node): unknown {
  if (Array.isArray(value))
    return schema.items ? value.map((item) => withDurations(item, schema.items as Node)) : value;
  if (typeof value !== "object" || value === null) return value;
  const properties =
    schema.properties ?? schema.anyOf?.find((option) => option.properties)?.properties;
  if (!properties) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => {
      const childSchema = properties[key];
      if (childSchema?.duration && typeof child === "number") return [key, formatDuration(child)];
      return [key, childSchema ? withDurations(child, childSchema) : child];
    }),
  );
}
