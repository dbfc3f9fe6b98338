import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { formatDuration, parseDuration } from "../../src/config/duration.ts";

describe("parseDuration", () => {
  test.each([
    ["168h", 168 * 3_600_000],
    ["30m", 1_800_000],
    ["1.5s", 1500],
    ["300ms", 300],
    ["10us", 0.01],
    ["10µs", 0.01], // micro sign
    ["10μs", 0.01], // Greek mu
    ["5ns", 0.000005],
    ["1h30m", 5_400_000],
    ["1h30m15.5s", 5_415_500],
    ["-1s", -1000],
    ["+2m", 120_000],
    ["0", 0],
    ["-0", 0],
    ["0s", 0],
    [".5s", 500],
    ["1.s", 1000],
    ["2h45m", 9_900_000],
  ])("%p", (text, ms) => expect(parseDuration(text)).toBeCloseTo(ms, 9));

  test("a bare number is nanoseconds, as Go's YAML decoding reads it", () => {
    expect(parseDuration(2_000_000_000)).toBe(2000);
    expect(parseDuration(0)).toBe(0);
    expect(parseDuration(-1_000_000)).toBe(-1);
  });

  test("a fractional bare number is truncated to whole nanoseconds, as Go does", () =>
    expect(parseDuration(1_500_000.9)).toBe(1.5));

  test.each([
    ["10", /missing unit in duration "10"/],
    ["1h30", /missing unit in duration "1h30"/],
    ["1.2.3s", /missing unit/],
    ["1d", /unknown unit "d" in duration "1d" \(use ns, us, ms, s, m or h\)/],
    ["10 s", /unknown unit " s"/],
    ["5S", /unknown unit "S"/],
    ["", /invalid duration ""/],
    ["-", /invalid duration "-"/],
    ["h", /invalid duration "h"/],
    ["s10", /invalid duration "s10"/],
    ["--1s", /invalid duration "--1s"/],
    [".s", /invalid duration ".s"/],
    ["3000000h", /out of range/],
  ])("%p is rejected: %p", (text, reason) => {
    expect(() => parseDuration(text)).toThrow(reason);
  });

  test.each([Number.NaN, Number.POSITIVE_INFINITY])("%p is rejected", (value) => {
    expect(() => parseDuration(value)).toThrow(/invalid duration/);
  });
});

describe("formatDuration", () => {
  test.each([
    [0, "0s"],
    [0.000005, "5ns"],
    [0.01, "10µs"],
    [0.0015, "1.5µs"],
    [1.5, "1.5ms"],
    [300, "300ms"],
    [1000, "1s"],
    [1500, "1.5s"],
    [90_000, "1m30s"],
    [3_600_000, "1h0m0s"],
    [5_415_500, "1h30m15.5s"],
    [168 * 3_600_000, "168h0m0s"],
    [-1000, "-1s"],
    [-0.01, "-10µs"],
  ])("%p → %p", (ms, text) => expect(formatDuration(ms)).toBe(text));

  // Milliseconds are floats: nanosecond precision holds up to about a day, whole
  // milliseconds far beyond the durations a config holds.
  test("nanoseconds up to a day round-trip through parseDuration", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e14, max: 1e14 }), (nanoseconds) => {
        const ms = nanoseconds / 1e6;
        expect(Math.round(parseDuration(formatDuration(ms)) * 1e6)).toBe(nanoseconds);
      }),
    );
  });

  test("whole milliseconds up to decades round-trip through parseDuration", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });
});
