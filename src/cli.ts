#!/usr/bin/env bun
import { type CommandIO, runGarbageCollect } from "./commands/garbagecollect.ts";
import { runWarm } from "./commands/warm.ts";
import { ConfigError, loadConfig } from "./config/load.ts";
import { formatConfig } from "./config/redact.ts";
import type { Config } from "./config/schema.ts";
import { createLogger } from "./log.ts";
import { ensureRuntimeDefaults } from "./runtimeenv.ts";
import { startServer } from "./server.ts";
import { commit, version } from "./version.ts";

const usage = `skiff ${version}: a container registry and pull-through mirror

Usage:
  skiff serve [config.yml]        serve the registry (no file: embedded default, or
                                  $REGISTRY_CONFIGURATION_PATH)
  skiff config check <config.yml> validate a config and print it, secrets redacted
  skiff garbage-collect <config.yml> [--dry-run] [--delete-untagged]
                                  delete blobs no manifest references (registry
                                  stopped, or read-only)
  skiff warm [--registry URL | --config config.yml] [--platform os/arch]
             [--concurrency N] [--file refs.txt] [ref ...]
                                  pre-fill a mirror with images (progress on a TTY)
  skiff healthcheck [url]         exit 0 when /healthz answers 200 (for container
                                  HEALTHCHECKs; default http://127.0.0.1:5000/healthz)
  skiff --version                 print the version
`;

/** Runs one command; resolves to the process exit code (serve resolves only on shutdown). */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "--version":
    case "-v":
    case "version":
      process.stdout.write(`skiff ${version} (${commit})\n`);
      return 0;
    case "serve":
      return serve(rest[0] ?? process.env.REGISTRY_CONFIGURATION_PATH);
    case "garbage-collect":
      return runGarbageCollect(rest, consoleIO());
    case "warm":
      return runWarm(rest, consoleIO());
    case "healthcheck":
      return healthcheck(rest[0] ?? "http://127.0.0.1:5000/healthz");
    case "config":
      return rest[0] === "check" && rest[1] ? checkConfig(rest[1]) : fail(usage);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(usage);
      return command === undefined ? 2 : 0;
    default:
      return fail(`unknown command ${JSON.stringify(command)}\n\n${usage}`);
  }
}

/** Commands write results to stdout and progress to stderr (a terminal, when it is one). */
const consoleIO = (): CommandIO => ({
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  isTTY: process.stderr.isTTY === true,
});

/** For images without curl: one GET, success only on 200. */
async function healthcheck(url: string): Promise<number> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) }).catch(
    (err: Error) => err,
  );
  if (response instanceof Error) return fail(`healthcheck: ${response.message}`);
  if (response.status !== 200) return fail(`healthcheck: ${url} answered ${response.status}`);
  return 0;
}

function fail(message: string): number {
  process.stderr.write(message.endsWith("\n") ? message : `${message}\n`);
  return 2;
}

function readConfig(path: string | undefined, warn: (message: string) => void): Config {
  return loadConfig({ path, env: process.env, warn });
}

function checkConfig(path: string): number {
  try {
    const warnings: string[] = [];
    const config = readConfig(path, (message) => warnings.push(message));
    for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
    process.stdout.write(formatConfig(config));
    return 0;
  } catch (err: unknown) {
    return fail(
      err instanceof ConfigError
        ? `invalid configuration:\n${(err as Error).message}`
        : String(err),
    );
  }
}

async function serve(path: string | undefined): Promise<number> {
  ensureRuntimeDefaults();
  const pending: string[] = [];
  let config: Config;
  try {
    config = readConfig(path, (message) => pending.push(message));
  } catch (err: unknown) {
    return fail(
      err instanceof ConfigError
        ? `invalid configuration:\n${(err as Error).message}`
        : String(err),
    );
  }
  const logger = createLogger({
    level: config.log.level,
    formatter: config.log.formatter,
    fields: config.log.fields,
  });
  for (const message of pending) logger.warn(message);
  const server = await startServer(config, logger);
  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      logger.info("signal received", { signal });
      server.shutdown().then(() => resolve(0));
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`skiff: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
