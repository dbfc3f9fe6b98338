import { describe, expect, test } from "bun:test";
import { parseContentRange, parseRange } from "../../src/http/ranges.ts";

describe("parseRange", () => {
  test.each([
    ["bytes=0-9", { kind: "range", range: { start: 0, end: 9 } }],
    ["bytes=5-", { kind: "range", range: { start: 5, end: 99 } }],
    ["bytes=-10", { kind: "range", range: { start: 90, end: 99 } }],
    ["bytes=-1000", { kind: "range", range: { start: 0, end: 99 } }],
    ["bytes=90-1000", { kind: "range", range: { start: 90, end: 99 } }],
    ["bytes=100-", { kind: "unsatisfiable" }],
    ["bytes=-0", { kind: "unsatisfiable" }],
    ["bytes=9-0", { kind: "none" }],
    ["bytes=-", { kind: "none" }],
    ["bytes=a-b", { kind: "none" }],
    ["bytes=-5-6", { kind: "none" }],
    [`bytes=${"9".repeat(30)}-`, { kind: "none" }],
    ["bytes=0-1,3-4", { kind: "none" }],
  ])("%p on 100 bytes", (header, expected) => {
    expect(parseRange(header, 100)).toEqual(expected as never);
  });

  test("no header is no range", () => expect(parseRange(null, 5)).toEqual({ kind: "none" }));
});

describe("parseContentRange", () => {
  test.each([
    ["0-99", { start: 0, end: 99 }],
    ["bytes 10-19", { start: 10, end: 19 }],
    ["bytes 10-19/100", { start: 10, end: 19 }],
    ["5-4", undefined],
    ["-1-5", undefined],
    ["a-b", undefined],
    [`0-${"9".repeat(20)}`, undefined],
  ])("%p", (header, expected) => {
    expect(parseContentRange(header)).toEqual(expected as never);
  });
});
