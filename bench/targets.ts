import { join } from "node:path";
import { freePort, type ServerProcess, startServer } from "../test/support/process.ts";

export type TargetName = "skiff" | "distribution";
export const targetNames: readonly TargetName[] = ["skiff", "distribution"];

export interface TargetOptions {
  readonly cache: "inmemory" | "redis";
  readonly redisPort?: number;
  readonly redisDb?: number;
  readonly proxy?: string;
  readonly accessLog?: boolean;
}

/** The same config for both registries (Distribution's keys), on a fresh data folder. */
export function configText(root: string, port: number, options: TargetOptions): string {
  return `version: 0.1
log: {level: ${options.accessLog ? "info" : "error"}, accesslog: {disabled: ${!options.accessLog}}}
storage:
  filesystem: {rootdirectory: ${root}}
  delete: {enabled: true}
  cache: {blobdescriptor: ${options.cache}}
http:
  addr: 127.0.0.1:${port}
${options.redisPort ? `redis:\n  addr: 127.0.0.1:${options.redisPort}\n  db: ${options.redisDb ?? 0}\n` : ""}${options.proxy ? `proxy:\n  remoteurl: ${options.proxy}\n` : ""}`;
}

export async function startTarget(
  name: TargetName,
  binary: string,
  work: string,
  label: string,
  options: TargetOptions,
): Promise<ServerProcess> {
  const port = await freePort();
  const configPath = join(work, `${name}-${label}.yml`);
  await Bun.write(configPath, configText(join(work, `${name}-${label}`), port, options));
  const command =
    name === "skiff" ? [binary, "serve", configPath] : ["docker-registry", "serve", configPath];
  return startServer(command, port);
}
