/** A small structured logger: text or JSON lines, level-filtered, with fixed fields. */
export type LogLevel = "error" | "warn" | "info" | "debug";
export type LogFields = Record<string, unknown>;

export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  enabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly formatter: "text" | "json";
  readonly fields?: LogFields;
  readonly write?: (line: string) => void;
  readonly now?: () => Date;
}

const rank: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const format = options.formatter === "json" ? formatJson : formatText;
  const log = (level: LogLevel) => (message: string, fields?: LogFields) => {
    if (rank[level] > rank[options.level]) return;
    write(format(now(), level, message, { ...options.fields, ...fields }));
  };
  return {
    error: log("error"),
    warn: log("warn"),
    info: log("info"),
    debug: log("debug"),
    enabled: (level) => rank[level] <= rank[options.level],
  };
}

export const silentLogger: Logger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  enabled: () => false,
};

function formatJson(time: Date, level: LogLevel, msg: string, fields: LogFields): string {
  return JSON.stringify({ time: time.toISOString(), level, msg, ...fields });
}

function formatText(time: Date, level: LogLevel, msg: string, fields: LogFields): string {
  const pairs = Object.entries(fields).map(([key, value]) => `${key}=${quote(value)}`);
  return [`time="${time.toISOString()}"`, `level=${level}`, `msg=${quote(msg)}`, ...pairs].join(
    " ",
  );
}

function quote(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return /^[A-Za-z0-9._:/@-]+$/.test(text ?? "") ? (text as string) : JSON.stringify(text);
}
