import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { isValidPath } from "../../../src/storage/driver/driver.ts";

/** The rule as written in the driver contract, kept simple to serve as the oracle. */
function validByDefinition(path: string): boolean {
  if (path === "/") return true;
  if (!/^(\/[A-Za-z0-9._-]+)+$/.test(path)) return false;
  return path.split("/").every((part) => part !== "." && part !== "..");
}

describe("isValidPath", () => {
  test.each([
    ["/", true],
    ["/a", true],
    ["/docker/registry/v2/blobs/sha256/ab/abcdef/data", true],
    ["/a/.hidden/..x/x..", true],
    ["/a/...", true],
    ["", false],
    ["a/b", false],
    ["/a/", false],
    ["//a", false],
    ["/a//b", false],
    ["/.", false],
    ["/..", false],
    ["/a/./b", false],
    ["/a/../b", false],
    ["/a/..", false],
    ["/é", false],
    ["/a b", false],
    ["/a/%2e%2e", false],
  ])("%p is valid: %p", (path, valid) => {
    expect(isValidPath(path)).toBe(valid);
  });

  test("agrees with the contract's definition on arbitrary paths", () => {
    const component = fc.oneof(
      fc.constantFrom(".", "..", "...", "", "a", "_", "-", "é", " ", "%"),
      fc.stringMatching(/^[A-Za-z0-9._-]{1,8}$/),
    );
    const path = fc.oneof(
      fc.array(component, { maxLength: 6 }).map((parts) => `/${parts.join("/")}`),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(path, (candidate) => isValidPath(candidate) === validByDefinition(candidate)),
      { seed: 42, numRuns: 5000 },
    );
  });
});
