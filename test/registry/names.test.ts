import { describe, expect, test } from "bun:test";
import { isRepositoryName, isTag, parseRepositoryName } from "../../src/registry/names.ts";

describe("repository names", () => {
  test.each(["a", "library/alpine", "a-b/c.d/e_f", "a__b", "a---b", "0/1/2", `${"a".repeat(255)}`])(
    "%p is valid",
    (name) => {
      expect(isRepositoryName(name)).toBe(true);
    },
  );
  test.each([
    "",
    "A",
    "a/B",
    "a//b",
    "/a",
    "a/",
    "a..b",
    "..",
    "a/../b",
    "a_-b",
    "a___b",
    "-a",
    "a-",
    "a b",
    `${"a".repeat(256)}`,
    "a%2Fb",
  ])("%p is invalid", (name) => {
    expect(isRepositoryName(name)).toBe(false);
    expect(() => parseRepositoryName(name)).toThrow();
  });
});

describe("tags", () => {
  test.each(["latest", "v1.2.3", "_x", "A-b_c.d", "a".repeat(128)])("%p is valid", (tag) =>
    expect(isTag(tag)).toBe(true),
  );
  test.each(["", ".x", "-x", "a".repeat(129), "a/b", "a:b", "a b"])("%p is invalid", (tag) =>
    expect(isTag(tag)).toBe(false),
  );
});
