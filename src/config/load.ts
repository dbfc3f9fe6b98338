import { readFileSync } from "node:fs";
import { Value } from "@sinclair/typebox/value";
import { type Coercion, coerce, type Problem } from "./coerce.ts";
import { defaultConfigText } from "./default.ts";
import { withDefaults } from "./defaults.ts";
import { applyEnvironment, type Overrides } from "./env.ts";
import { normalizeDistributionShapes } from "./normalize.ts";
import { type Config, ConfigSchema } from "./schema.ts";
import { asNode, type Mapping } from "./schemanode.ts";
import { unknownKeys } from "./unknown.ts";
import { crossProblems, schemaProblems } from "./validate.ts";

/** A configuration that cannot be used; the message lists every failing key and why. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
}

export interface LoadOptions {
  /** A YAML file; without it (and without `text`) the embedded default is used. */
  readonly path?: string;
  /** YAML text, instead of a file. */
  readonly text?: string;
  /** Where `REGISTRY_*` overrides come from (usually `process.env`); none when absent. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Told about keys that are ignored or deprecated; the config still loads. */
  readonly warn?: (message: string) => void;
}

/**
 * Reads a Distribution-style `config.yml`, applies `REGISTRY_*` environment overrides, and
 * returns the validated config with every default filled in and durations in milliseconds.
 * Throws a ConfigError naming every failing key. Unknown keys are warned about, not fatal.
 */
export function loadConfig(options: LoadOptions = {}): Config {
  const warn = options.warn ?? (() => {});
  const schema = asNode(ConfigSchema);
  const raw = parseYaml(readText(options), options.path ?? "configuration");
  normalizeDistributionShapes(raw, warn);
  const overrides = applyEnvironment(raw, withoutConfigPath(options.env ?? {}), schema, warn);
  normalizeDistributionShapes(raw, warn);
  for (const key of unknownKeys(raw, schema, ""))
    warn(`unknown configuration key "${key}" ignored`);

  const coercion: Coercion = { problems: [], warnings: [] };
  const coerced = coerce(raw, schema, "", coercion);
  for (const warning of coercion.warnings) warn(warning);
  const value = Value.Clean(ConfigSchema, withDefaults(coerced, schema)) as Config;
  const reported = new Set(coercion.problems.map((problem) => problem.path));
  const problems = [
    ...coercion.problems,
    ...schemaProblems(ConfigSchema, value, reported),
    ...crossProblems(ConfigSchema, raw, value),
  ];
  if (problems.length > 0)
    throw new ConfigError(problems.map((problem) => describe(problem, overrides)));
  return value;
}

function readText(options: LoadOptions): string {
  if (options.text !== undefined) return options.text;
  if (options.path === undefined) return defaultConfigText;
  try {
    return readFileSync(options.path, "utf8");
  } catch (err) {
    throw new ConfigError([`cannot read ${options.path}: ${(err as Error).message}`]);
  }
}

function parseYaml(text: string, source: string): Mapping {
  let value: unknown;
  try {
    value = Bun.YAML.parse(text);
  } catch (err) {
    throw new ConfigError([`${source}: invalid YAML: ${(err as Error).message}`]);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw new ConfigError([`${source}: the configuration must be a YAML mapping`]);
  return value as Mapping;
}

/** `REGISTRY_CONFIGURATION_PATH` names the file (see cli.ts); it is not a key override. */
function withoutConfigPath(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  const { REGISTRY_CONFIGURATION_PATH: _path, ...rest } = env;
  return rest;
}

/** `path: reason`, naming the environment variable when the value came from one. */
function describe(problem: Problem, overrides: Overrides): string {
  const variable = [...overrides].find(
    ([path]) =>
      problem.path === path ||
      problem.path.startsWith(`${path}.`) ||
      problem.path.startsWith(`${path}[`),
  )?.[1];
  const where = variable ? `${problem.path} (from ${variable})` : problem.path;
  return `${where}: ${problem.reason}`;
}
