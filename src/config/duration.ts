/** Go's `time.Duration` syntax (`168h`, `1h30m`, `1.5s`, `300ms`, `-1s`), in milliseconds. */
const unitMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const partPattern = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a duration into milliseconds. A bare number is nanoseconds, as Go's YAML decoding of
 * `time.Duration` reads it; the string `0` is zero.
 */
export function parseDuration(value: string | number): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`invalid duration ${value}`);
    return value / 1e6;
  }
  const text = value.trim();
  if (text === "0" || text === "+0" || text === "-0") return 0;
  const sign = text.startsWith("-") ? -1 : 1;
  const body = text.replace(/^[+-]/, "");
  if (body === "") throw new Error(`invalid duration ${JSON.stringify(value)}`);
  let total = 0;
  partPattern.lastIndex = 0;
  let position = 0;
  while (position < body.length) {
    partPattern.lastIndex = position;
    const match = partPattern.exec(body);
    if (!match)
      throw new Error(`invalid duration ${JSON.stringify(value)} (expected e.g. 168h, 30m, 1.5s)`);
    total += Number(match[1]) * (unitMs[match[2] as string] as number);
    position = partPattern.lastIndex;
  }
  return sign * total;
}

/** Prints milliseconds the way Go prints durations (`168h0m0s`, `1.5s`, `300ms`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${trim(rest)}ms`;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = `${trim(rest / 1000)}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}

const trim = (n: number): string => String(Math.round(n * 1e6) / 1e6);
