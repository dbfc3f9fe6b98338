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
  /** S3 storage instead of the filesystem: endpoint and bucket of an S3 peer. */
  readonly s3?: { endpoint: string; bucket: string; accesskey: string; secretkey: string };
}

/** The same config for both registries (Distribution's keys), on a fresh data folder. */
export function configText(root: string, port: number, options: TargetOptions): string {
  return `version: 0.1
log: {level: ${options.accessLog ? "info" : "error"}, accesslog: {disabled: ${!options.accessLog}}}
storage:
  ${options.s3 ? `s3: {accesskey: ${options.s3.accesskey}, secretkey: ${options.s3.secretkey}, bucket: ${options.s3.bucket}, regionendpoint: "${options.s3.endpoint}", forcepathstyle: true, rootdirectory: /bench}` : `filesystem: {rootdirectory: ${root}}`}
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
