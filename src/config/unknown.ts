import {
  childPath,
  indexPath,
  isMapping,
  objectSchema,
  recordValues,
  type SchemaNode,
} from "./schemanode.ts";

/**
 * Key paths in the raw config that the schema does not know: whole Distribution sections skiff
 * lacks (`notifications`, `middleware`) as well as keys deep inside known ones. Keys naming a
 * variant (a storage driver, an authentication method) are left to validate.ts, which refuses
 * the ones skiff lacks instead of ignoring them.
 */
export function unknownKeys(value: unknown, node: SchemaNode, path: string): string[] {
  if (Array.isArray(value)) {
    const items = node.items;
    return items ? value.flatMap((item, i) => unknownKeys(item, items, indexPath(path, i))) : [];
  }
  if (!isMapping(value)) return [];
  const values = recordValues(node);
  if (values)
    return Object.entries(value).flatMap(([key, child]) =>
      unknownKeys(child, values, childPath(path, key)),
    );
  const object = objectSchema(node);
  if (!object?.properties) return [];
  const properties = object.properties;
  return Object.entries(value).flatMap(([key, child]) => {
    const known = properties[key];
    if (known) return unknownKeys(child, known, childPath(path, key));
    const variants = object.variants;
    if (variants && !variants.settings.includes(key)) return [];
    return [childPath(path, key)];
  });
}
