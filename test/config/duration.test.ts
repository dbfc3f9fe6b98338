import { describe, expect, test } from "bun:test";
import { formatDuration, parseDuration } from "../../src/config/duration.ts";

describe("parseDuration", () => {
  test.each([
    ["168h", 168 * 3_600_000],
    ["30m", 1_800_000],
    ["1.5s", 1500],
    ["300ms", 300],
    ["10us", 0.01],
    ["10µs", 0.01],
    ["5ns", 0.000005],
    ["1h30m", 5_400_000],
    ["-1s", -1000],
    ["0", 0],
    [".5s", 500],
  ])("%p", (text, ms) => expect(parseDuration(text)).toBeCloseTo(ms, 9));

  test("a bare number is nanoseconds, as in Go", () =>
    expect(parseDuration(2_000_000_000)).toBe(2000));

  test.each(["", "10", "1d", "h", "1.2.3s", "10 s", "s10", "--1s"])("%p is rejected", (text) => {
    expect(() => parseDuration(text)).toThrow(/invalid duration/);
  });
});

describe("formatDuration", () => {
  test.each([
    [0, "0s"],
    [300, "300ms"],
    [1500, "1.5s"],
    [90_000, "1m30s"],
    [168 * 3_600_000, "168h0m0s"],
    [-1000, "-1s"],
  ])("%p", (ms, text) => expect(formatDuration(ms)).toBe(text));

  test("round-trips through parseDuration", () => {
    for (const ms of [1, 999, 1000, 61_000, 3_600_001])
      expect(parseDuration(formatDuration(ms))).toBeCloseTo(ms, 6);
  });
});
