import type { TSchema } from "@sinclair/typebox";

/**
 * The parts of a typebox schema the loader walks, plus skiff's own annotations:
 * `duration` (Go syntax in the file, milliseconds in memory), `aliases` (other spellings of a
 * choice) and `variants` (a section whose keys, besides its settings, each name a variant such
 * as a storage driver; validate.ts checks them rather than warning about unknown ones).
 */
export interface SchemaNode {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly patternProperties?: Readonly<Record<string, SchemaNode>>;
  readonly items?: SchemaNode;
  readonly anyOf?: readonly SchemaNode[];
  readonly const?: unknown;
  readonly default?: unknown;
  readonly minimum?: number;
  readonly duration?: boolean;
  readonly aliases?: Readonly<Record<string, string>>;
  readonly variants?: Variants;
}

export interface Variants {
  /** What a variant is called in messages: "storage driver". */
  readonly kind: string;
  /** Keys of the section that are settings, not variants. */
  readonly settings: readonly string[];
  /** Whether exactly one variant must be configured (otherwise at most one). */
  readonly required: boolean;
}

export type Mapping = Record<string, unknown>;

export const asNode = (schema: TSchema): SchemaNode => schema as unknown as SchemaNode;

export const isMapping = (value: unknown): value is Mapping =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The object schema of a node, also when it is one option of a union (`inmemory: null | {}`). */
export function objectSchema(node: SchemaNode): SchemaNode | undefined {
  if (node.properties) return node;
  return node.anyOf?.find((option) => option.properties);
}

/** The value schema of a record (`log.fields`, `http.headers`). */
export function recordValues(node: SchemaNode): SchemaNode | undefined {
  return node.patternProperties ? Object.values(node.patternProperties)[0] : undefined;
}

/** The words of a choice (a union of string literals), or undefined for other schemas. */
export function choices(node: SchemaNode): string[] | undefined {
  if (!node.anyOf || node.anyOf.length === 0) return undefined;
  const words = node.anyOf.map((option) => option.const);
  return words.every((word) => typeof word === "string") ? (words as string[]) : undefined;
}

export const acceptsNull = (node: SchemaNode): boolean =>
  node.type === "null" || (node.anyOf ?? []).some((option) => option.type === "null");

export const childPath = (parent: string, key: string): string =>
  parent === "" ? key : `${parent}.${key}`;

export const indexPath = (parent: string, index: number): string => `${parent}[${index}]`;
