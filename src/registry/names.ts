import { registryError } from "./errors.ts";

/** Repository names per the distribution spec grammar, at most 255 characters. */
const componentPattern = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const tagPattern = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export const maxRepositoryNameLength = 255;

export function isRepositoryName(name: string): boolean {
  if (name.length === 0 || name.length > maxRepositoryNameLength) return false;
  for (const component of name.split("/")) {
    if (!componentPattern.test(component)) return false;
  }
  return true;
}

export function parseRepositoryName(name: string): string {
  if (isRepositoryName(name)) return name;
  throw registryError("NAME_INVALID", "invalid repository name", { name: name.slice(0, 300) });
}

export const isTag = (value: string): boolean => tagPattern.test(value);

export function parseTag(tag: string): string {
  if (isTag(tag)) return tag;
  throw registryError("TAG_INVALID", "invalid tag", { tag: tag.slice(0, 200) });
}
