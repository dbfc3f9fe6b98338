import { expect } from "bun:test";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";

export const fixture = (name: string): string => join(import.meta.dir, "fixtures", name);

/** A config from YAML text (and env), with the warnings it produced. */
export function load(
  text: string,
  env: Record<string, string> = {},
): { config: Config; warnings: string[] } {
  const warnings: string[] = [];
  const config = loadConfig({ text, env, warn: (message) => warnings.push(message) });
  return { config, warnings };
}

/** The ConfigError message a config is rejected with, one problem a line. */
export function rejection(text: string, env: Record<string, string> = {}): string[] {
  try {
    loadConfig({ text, env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message.split("\n");
  }
  throw new Error("expected the configuration to be rejected");
}

/** A minimal valid config (inmemory storage) with `yaml` appended. */
export const withStorage = (yaml: string): string => `version: 0.1\nstorage:\n  inmemory:\n${yaml}`;
