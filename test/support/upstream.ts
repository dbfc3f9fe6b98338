import type { Server } from "bun";
import { loadConfig } from "../../src/config/load.ts";
import { silentLogger } from "../../src/log.ts";
import type { StorageDriver } from "../../src/storage/driver/driver.ts";
import { buildRegistry, type Registry } from "../../src/wire.ts";

export interface UpstreamOptions {
  /** Credentials the token service demands (Basic); anonymous tokens otherwise. */
  readonly credentials?: { username: string; password: string };
  readonly driver?: StorageDriver;
}

/**
 * A real upstream on loopback: a skiff registry that demands Bearer tokens from a small token
 * service, as Docker Hub and ghcr.io do. It counts requests and can be stopped, restarted,
 * or told to corrupt a blob.
 */
export class TestUpstream {
  readonly requests: { method: string; path: string; authorized: boolean }[] = [];
  readonly issuedTokens = new Set<string>();
  /** Blob digests whose bytes the upstream flips before sending. */
  readonly corrupt = new Set<string>();
  private registry!: Registry;
  private server?: Server<unknown>;
  private tokenServer?: Server<unknown>;
  port = 0;

  constructor(private readonly options: UpstreamOptions = {}) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Authorized requests that reached the registry, e.g. real GETs of one blob. */
  count(method: string, pathSuffix: string): number {
    return this.requests.filter(
      (r) => r.authorized && r.method === method && r.path.endsWith(pathSuffix),
    ).length;
  }

  async start(): Promise<this> {
    const config = loadConfig({
      text: "version: 0.1\nstorage:\n  inmemory:\n  delete: {enabled: true}\n",
    });
    this.registry ??= buildRegistry(config, silentLogger, this.options.driver);
    this.tokenServer = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) => this.issueToken(request),
    });
    this.server = Bun.serve({
      hostname: "127.0.0.1",
      port: this.port,
      fetch: (request) => this.handle(request),
    });
    this.port = this.server.port ?? 0;
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.stop(true);
    await this.tokenServer?.stop(true);
    this.server = undefined;
  }

  /** Writes straight into the upstream's storage, bypassing auth (test setup). */
  seed(
    method: string,
    path: string,
    body?: Uint8Array,
    headers?: Record<string, string>,
  ): Promise<Response> {
    return this.registry.app.handle(
      new Request(`http://upstream.test${path}`, { method, body, headers }),
    );
  }

  private issueToken(request: Request): Response {
    const { credentials } = this.options;
    if (credentials) {
      const expected = `Basic ${btoa(`${credentials.username}:${credentials.password}`)}`;
      if (request.headers.get("authorization") !== expected)
        return new Response("bad credentials", { status: 401 });
    }
    const token = crypto.randomUUID();
    this.issuedTokens.add(token);
    return Response.json({ token, expires_in: 300 });
  }

  private async handle(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    const token = request.headers.get("authorization")?.replace(/^Bearer /, "");
    const authorized = token !== undefined && this.issuedTokens.has(token);
    this.requests.push({ method: request.method, path, authorized });
    if (!authorized) {
      const name = /^\/v2\/(.+?)\/(?:blobs|manifests|tags)\//.exec(path)?.[1] ?? "";
      return new Response(
        JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }),
        {
          status: 401,
          headers: {
            "WWW-Authenticate": `Bearer realm="http://127.0.0.1:${this.tokenServer?.port}/token",service="test-upstream",scope="repository:${name}:pull"`,
          },
        },
      );
    }
    const response = await this.registry.app.handle(request);
    const digest = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(path)?.[1];
    if (request.method === "GET" && digest && this.corrupt.has(digest) && response.ok) {
      const bytes = new Uint8Array(await response.arrayBuffer());
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
      return new Response(bytes, { status: 200, headers: response.headers });
    }
    return response;
  }
}
