/** Go's `time.Duration` syntax (`168h`, `1h30m`, `1.5s`, `300ms`, `-1s`), held in milliseconds. */

const nanosecondsPerUnit: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu: Go accepts both
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

// Go's Duration is an int64 of nanoseconds: anything larger does not fit.
const maxNanoseconds = 2n ** 63n - 1n;

/**
 * Parses a duration into milliseconds. A string follows Go's `time.ParseDuration`. A bare
 * number is nanoseconds (truncated to an integer), as Go's YAML decoding of `time.Duration`
 * reads it. Throws an Error whose message says what is wrong.
 */
export function parseDuration(value: string | number): number {
  const nanoseconds =
    typeof value === "number" ? nanosecondsOfNumber(value) : nanosecondsOfText(value);
  if (nanoseconds > maxNanoseconds || -nanoseconds > maxNanoseconds)
    throw new Error(`invalid duration ${JSON.stringify(value)}: out of range`);
  // Split so that whole milliseconds stay exact beyond 2^53 nanoseconds.
  return Number(nanoseconds / 1_000_000n) + Number(nanoseconds % 1_000_000n) / 1e6;
}

function nanosecondsOfNumber(value: number): bigint {
  if (!Number.isFinite(value)) throw new Error(`invalid duration ${value}`);
  return BigInt(Math.trunc(value));
}

// Exact integer arithmetic, as Go does: `1.1s` is 1100000000ns, not a float's approximation.
function nanosecondsOfText(text: string): bigint {
  const quoted = JSON.stringify(text);
  let rest = text;
  let sign = 1n;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1n : 1n;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0n;
  if (rest === "") throw new Error(`invalid duration ${quoted}`);
  let total = 0n;
  while (rest !== "") {
    const [number = "", whole = "", fraction = ""] = /^(\d*)(?:\.(\d*))?/.exec(rest) ?? [];
    if (whole === "" && fraction === "") throw new Error(`invalid duration ${quoted}`);
    rest = rest.slice(number.length);
    const unit = /^[^\d.]*/.exec(rest)?.[0] ?? "";
    if (unit === "") throw new Error(`missing unit in duration ${quoted} (e.g. 10s, 30m, 168h)`);
    const scale = nanosecondsPerUnit[unit];
    if (scale === undefined)
      throw new Error(
        `unknown unit ${JSON.stringify(unit)} in duration ${quoted} (use ns, us, ms, s, m or h)`,
      );
    total += BigInt(whole || "0") * scale;
    if (fraction !== "") total += (BigInt(fraction) * scale) / 10n ** BigInt(fraction.length);
    rest = rest.slice(unit.length);
  }
  return sign * total;
}

/**
 * Prints milliseconds the way Go's `Duration.String` does: `168h0m0s`, `1m30s`, `1.5s`,
 * `300ms`, `10µs`, `0s`. The result parses back to the same value.
 */
export function formatDuration(ms: number): string {
  const whole = Math.trunc(ms);
  const nanoseconds = BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
  if (nanoseconds === 0n) return "0s";
  const sign = nanoseconds < 0n ? "-" : "";
  const ns = nanoseconds < 0n ? -nanoseconds : nanoseconds;
  if (ns < 1_000n) return `${sign}${ns}ns`;
  if (ns < 1_000_000n) return `${sign}${decimal(ns, 3)}µs`;
  if (ns < 1_000_000_000n) return `${sign}${decimal(ns, 6)}ms`;
  const hours = ns / 3_600_000_000_000n;
  const minutes = (ns % 3_600_000_000_000n) / 60_000_000_000n;
  const seconds = `${decimal(ns % 60_000_000_000n, 9)}s`;
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}

/** `value / 10^digits` written exactly, without trailing zeros. */
function decimal(value: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const fraction = String(value % scale)
    .padStart(digits, "0")
    .replace(/0+$/, "");
  return fraction === "" ? String(value / scale) : `${value / scale}.${fraction}`;
}
