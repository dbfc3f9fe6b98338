import { describe, expect, test } from "bun:test";
import { digestOf, isDigest, parseDigest, splitDigest } from "../../src/registry/digest.ts";

describe("digests", () => {
  test("sha256 and sha512 digests of content", () => {
    expect(digestOf("") as string).toBe(
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(digestOf("", "sha512")).toStartWith("sha512:cf83e1357eefb8bd");
  });

  test("only lowercase hex of the algorithm's exact length is accepted", () => {
    expect(isDigest(`sha256:${"a".repeat(64)}`)).toBe(true);
    expect(isDigest(`sha512:${"0".repeat(128)}`)).toBe(true);
    for (const bad of [
      "",
      "sha256:",
      `sha256:${"a".repeat(63)}`,
      `sha256:${"a".repeat(65)}`,
      `sha256:${"A".repeat(64)}`,
      `sha384:${"a".repeat(96)}`,
      `sha512:${"a".repeat(64)}`,
      `sha256:${"a".repeat(64)}\n`,
      `sha256:../${"a".repeat(61)}`,
    ]) {
      expect(isDigest(bad)).toBe(false);
    }
  });

  test("parseDigest throws DIGEST_INVALID", () => {
    expect(() => parseDigest("nope")).toThrow(
      expect.objectContaining({ code: "DIGEST_INVALID", status: 400 }),
    );
    expect(() => parseDigest(null)).toThrow(expect.objectContaining({ code: "DIGEST_INVALID" }));
  });

  test("splitDigest gives algorithm and hex", () => {
    expect(splitDigest(`sha256:${"b".repeat(64)}`)).toEqual({
      algorithm: "sha256",
      hex: "b".repeat(64),
    });
  });
});
