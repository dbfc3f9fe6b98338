import { UpstreamClient, type UpstreamOptions } from "./client.ts";

export interface UpstreamConfig extends UpstreamOptions {
  /** Namespace prefix routed to this upstream (`docker.io`, `ghcr.io`); empty = every name. */
  readonly prefix: string;
  /** Milliseconds a pulled blob or manifest stays; 0 or negative = forever. */
  readonly ttl: number;
}

export interface Upstream {
  readonly prefix: string;
  readonly ttl: number;
  readonly client: UpstreamClient;
  readonly dockerHub: boolean;
}

/** Where a repository name goes: its upstream, the name there, and the name stored locally. */
export interface Route {
  readonly upstream: Upstream;
  readonly remoteName: string;
  readonly localName: string;
}

const dockerHubHosts = new Set([
  "docker.io",
  "registry-1.docker.io",
  "index.docker.io",
  "registry.hub.docker.com",
]);

/**
 * Maps repository names to upstreams: by path prefix (`/v2/ghcr.io/org/app`), or by
 * containerd's `?ns=ghcr.io`; Docker Hub's `library/` convention applies to a docker.io
 * upstream. Names no upstream claims are hosted locally.
 */
export class UpstreamRouter {
  readonly upstreams: readonly Upstream[];

  constructor(
    configs: readonly UpstreamConfig[],
    makeClient: (config: UpstreamConfig) => UpstreamClient = (config) => new UpstreamClient(config),
  ) {
    this.upstreams = configs
      .map((config) => {
        const client = makeClient(config);
        return {
          prefix: config.prefix.replace(/^\/+|\/+$/g, ""),
          ttl: config.ttl,
          client,
          dockerHub: dockerHubHosts.has(config.prefix) || dockerHubHosts.has(client.host),
        };
      })
      // Longest prefix first, so `ghcr.io/org` wins over `ghcr.io`.
      .sort((a, b) => b.prefix.length - a.prefix.length);
  }

  route(name: string, ns?: string): Route | undefined {
    const qualified = ns && !name.startsWith(`${ns}/`) ? this.byPrefix(`${ns}/${name}`) : undefined;
    return qualified ?? this.byPrefix(name);
  }

  private byPrefix(name: string): Route | undefined {
    for (const upstream of this.upstreams) {
      if (upstream.prefix === "") return this.routeTo(upstream, name);
      if (name.startsWith(`${upstream.prefix}/`))
        return this.routeTo(upstream, name.slice(upstream.prefix.length + 1));
    }
    return undefined;
  }

  private routeTo(upstream: Upstream, remote: string): Route {
    const remoteName = upstream.dockerHub && !remote.includes("/") ? `library/${remote}` : remote;
    const localName = upstream.prefix ? `${upstream.prefix}/${remoteName}` : remoteName;
    return { upstream, remoteName, localName };
  }
}
