import { loadConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { parseListenAddress } from "../server.ts";
import { type GCProgress, garbageCollect } from "../storage/gc.ts";
import { createDriver } from "../wire.ts";

export interface CommandIO {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly isTTY: boolean;
}

export const gcUsage =
  "usage: skiff garbage-collect <config.yml> [--dry-run] [--delete-untagged]\n";

/**
 * `skiff garbage-collect`: refuses while a registry serves this config's address with writes
 * enabled, since a push racing the sweep could lose a blob; read-only mode or a stopped
 * registry are safe.
 */
export async function runGarbageCollect(args: string[], io: CommandIO): Promise<number> {
  const flags = new Set(args.filter((arg) => arg.startsWith("--")));
  const unknown = [...flags].filter((flag) => flag !== "--dry-run" && flag !== "--delete-untagged");
  const [configPath] = args.filter((arg) => !arg.startsWith("--"));
  if (!configPath || unknown.length > 0) {
    io.err(gcUsage);
    return 2;
  }
  const config = loadConfig({ path: configPath, env: process.env, warn: () => {} });
  if (!config.storage.maintenance.readonly.enabled && (await registryAnswers(config))) {
    io.err(
      `refusing to collect garbage: a registry answers on ${config.http.addr} and accepts writes.\nStop it, or set storage.maintenance.readonly.enabled: true while collecting.\n`,
    );
    return 1;
  }
  const dryRun = flags.has("--dry-run");
  const result = await garbageCollect(createDriver(config), {
    dryRun,
    deleteUntagged: flags.has("--delete-untagged"),
    progress: progressPrinter(io),
  });
  if (io.isTTY) io.err("\n");
  for (const manifest of result.manifests) io.out(`manifest eligible for deletion: ${manifest}\n`);
  for (const blob of result.blobs)
    io.out(`blob eligible for deletion: ${blob.digest} (${blob.size} bytes)\n`);
  const verb = dryRun ? "would free" : "freed";
  io.out(
    `${result.marked} blobs marked, ${result.blobs.length} blobs ${dryRun ? "eligible for deletion" : "deleted"}, ${verb} ${result.bytes} bytes${dryRun ? " (dry run: nothing deleted)" : ""}\n`,
  );
  return 0;
}

async function registryAnswers(config: Config): Promise<boolean> {
  const { hostname, port } = parseListenAddress(config.http.addr);
  const host = hostname === "0.0.0.0" || hostname === "::" ? "127.0.0.1" : hostname;
  const response = await fetch(`http://${host.includes(":") ? `[${host}]` : host}:${port}/v2/`, {
    signal: AbortSignal.timeout(1000),
  }).catch(() => undefined);
  return response !== undefined;
}

/** A live progress line on a terminal; nothing when the output is piped. */
function progressPrinter(io: CommandIO): ((event: GCProgress) => void) | undefined {
  if (!io.isTTY) return undefined;
  return (event) => {
    const line =
      event.phase === "mark"
        ? `marking: ${event.repositories} repositories, ${event.manifests} manifests`
        : `sweeping: ${event.examined} blobs examined, ${event.eligible} eligible`;
    io.err(`\r\u001b[2K${line}`);
  };
}
