import { loadConfig } from "../../src/config/load.ts";
import { silentLogger } from "../../src/log.ts";
import type { StorageDriver } from "../../src/storage/driver/driver.ts";
import { buildRegistry, type Registry } from "../../src/wire.ts";
import type { Requester } from "../support/registry.ts";
import type { TestUpstream } from "../support/upstream.ts";

export interface MirrorUpstream {
  readonly prefix: string;
  readonly url: string;
  readonly ttl?: string;
  readonly username?: string;
  readonly password?: string;
}

export interface TestMirror extends Requester {
  readonly registry: Registry;
}

/** A skiff mirror built from config like the server builds it, driven in-process. */
export async function startMirror(
  upstreams: MirrorUpstream[],
  options: { driver?: StorageDriver; now?: () => number } = {},
): Promise<TestMirror> {
  const proxies = upstreams
    .filter((u) => u.prefix !== "")
    .map(
      (u) =>
        `  - prefix: ${u.prefix}\n    remoteurl: ${u.url}\n    ttl: ${u.ttl ?? "168h"}\n${u.username ? `    username: ${u.username}\n    password: ${u.password}\n` : ""}`,
    )
    .join("");
  const single = upstreams.find((u) => u.prefix === "");
  const text = `version: 0.1
storage:
  inmemory:
  delete: {enabled: true}
${proxies ? `proxies:\n${proxies}` : ""}${single ? `proxy:\n  remoteurl: ${single.url}\n  ttl: ${single.ttl ?? "168h"}\n${single.username ? `  username: ${single.username}\n  password: ${single.password}\n` : ""}` : ""}`;
  const registry = buildRegistry(loadConfig({ text }), silentLogger, options.driver, {
    now: options.now,
  });
  await registry.start();
  return {
    registry,
    request: (method, path, init) =>
      registry.app.handle(new Request(`http://mirror.test${path}`, { ...init, method })),
  };
}

export const seeder = (upstream: TestUpstream): Requester => ({
  request: (method, path, init) =>
    upstream.seed(
      method,
      path,
      init?.body as Uint8Array | undefined,
      init?.headers as Record<string, string> | undefined,
    ),
});

export async function sha256Of(stream: ReadableStream<Uint8Array> | null): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  if (stream) for await (const chunk of stream) hasher.update(chunk);
  return `sha256:${hasher.digest("hex")}`;
}
