import { isMapping, objectSchema, recordValues, type SchemaNode } from "./schemanode.ts";

/**
 * Fills every absent key that has a default, down through sections, lists and maps. A value the
 * file gives replaces the default whole: `http.headers` set in the file is exactly those headers
 * (typebox's Value.Default would merge them into the default map). Keys come out in the
 * schema's order, so that a printed config reads like config.example.yaml.
 */
export function withDefaults(value: unknown, node: SchemaNode): unknown {
  const filled = value === undefined ? structuredClone(node.default) : value;
  if (Array.isArray(filled)) {
    const items = node.items;
    return items ? filled.map((item) => withDefaults(item, items)) : filled;
  }
  if (!isMapping(filled)) return filled;
  const values = recordValues(node);
  if (values)
    return Object.fromEntries(
      Object.entries(filled).map(([key, child]) => [key, withDefaults(child, values)]),
    );
  const properties = objectSchema(node)?.properties ?? {};
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(properties)) {
    const defaulted = withDefaults(filled[key], child);
    if (defaulted !== undefined || key in filled) result[key] = defaulted;
  }
  for (const [key, child] of Object.entries(filled)) if (!(key in result)) result[key] = child;
  return result;
}
