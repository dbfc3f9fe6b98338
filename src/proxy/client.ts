import { type Challenge, parseChallenges } from "./challenge.ts";
import { type Credentials, TokenSource } from "./tokens.ts";

export interface UpstreamOptions {
  readonly remoteurl: string;
  readonly username?: string;
  readonly password?: string;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  /** Time allowed to receive response headers (bodies stream as long as they flow). */
  readonly timeoutMs?: number;
  /** Observes each upstream response (metrics). */
  readonly onResponse?: (method: string, status: number) => void;
}

export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "UpstreamError";
  }
}

const manifestAccept = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

const maxRedirects = 5;

/**
 * A client of one upstream registry: Bearer token auth per repository scope (one retry on 401),
 * Basic auth where asked, redirects to blob storage followed without credentials.
 * Credentials live in the token source and request headers only; they are never logged.
 */
export class UpstreamClient {
  readonly baseURL: string;
  private readonly fetch: typeof fetch;
  private readonly tokens: TokenSource;
  private readonly credentials?: Credentials;
  /** The challenge last seen from this upstream, so later requests can authenticate up front. */
  private challenge?: Challenge;

  constructor(private readonly options: UpstreamOptions) {
    this.baseURL = options.remoteurl.replace(/\/+$/, "");
    this.fetch = options.fetch ?? fetch;
    this.credentials = options.username
      ? { username: options.username, password: options.password ?? "" }
      : undefined;
    this.tokens = new TokenSource({
      credentials: this.credentials,
      fetch: this.fetch,
      now: options.now,
      timeoutMs: options.timeoutMs,
    });
  }

  get host(): string {
    return new URL(this.baseURL).host;
  }

  ping(): Promise<Response> {
    return this.request("GET", "/v2/", "");
  }

  blob(
    method: "GET" | "HEAD",
    repository: string,
    digest: string,
    signal?: AbortSignal,
  ): Promise<Response> {
    return this.request(
      method,
      `/v2/${repository}/blobs/${digest}`,
      pullScope(repository),
      {},
      signal,
    );
  }

  manifest(method: "GET" | "HEAD", repository: string, reference: string): Promise<Response> {
    return this.request(method, `/v2/${repository}/manifests/${reference}`, pullScope(repository), {
      Accept: manifestAccept,
    });
  }

  tags(repository: string): Promise<Response> {
    return this.request("GET", `/v2/${repository}/tags/list`, pullScope(repository));
  }

  /** Sends a request, authenticating as the upstream asks; retries once after a 401. */
  async request(
    method: string,
    path: string,
    scope: string,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<Response> {
    const first = await this.send(
      method,
      `${this.baseURL}${path}`,
      { ...headers, ...(await this.authorization(scope, false)) },
      signal,
    );
    if (first.status !== 401) return first;
    const challenge = parseChallenges(first.headers.get("www-authenticate")).find(
      (c) => c.scheme === "bearer" || c.scheme === "basic",
    );
    await first.body?.cancel();
    if (!challenge) return first;
    this.challenge = challenge;
    return this.send(
      method,
      `${this.baseURL}${path}`,
      { ...headers, ...(await this.authorization(scope, true)) },
      signal,
    );
  }

  private async authorization(scope: string, fresh: boolean): Promise<Record<string, string>> {
    const challenge = this.challenge;
    if (!challenge) return {};
    if (challenge.scheme === "basic") {
      return this.credentials
        ? {
            Authorization: `Basic ${btoa(`${this.credentials.username}:${this.credentials.password}`)}`,
          }
        : {};
    }
    const token = fresh
      ? await this.tokens.token(challenge, scope)
      : this.tokens.cached(challenge, scope);
    return token ? { Authorization: `Bearer ${token}` } : {};
  }

  /** Follows redirects by hand so credentials never travel to another host (a CDN). */
  private async send(
    method: string,
    url: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<Response> {
    let target = url;
    let sendHeaders = headers;
    for (let hop = 0; hop <= maxRedirects; hop++) {
      // The timeout covers waiting for headers only: a large body may stream for as long as it flows.
      const headersTimeout = new AbortController();
      const timer = setTimeout(
        () => headersTimeout.abort(new Error("timed out waiting for headers")),
        this.options.timeoutMs ?? 30_000,
      );
      const combined = signal
        ? AbortSignal.any([signal, headersTimeout.signal])
        : headersTimeout.signal;
      const response = await this.fetch(target, {
        method,
        headers: sendHeaders,
        redirect: "manual",
        signal: combined,
      })
        .catch((err: unknown) => {
          throw new UpstreamError(
            `upstream ${new URL(target).host} unreachable: ${(err as Error).message}`,
          );
        })
        .finally(() => clearTimeout(timer));
      this.options.onResponse?.(method, response.status);
      const location = response.headers.get("location");
      if (![301, 302, 303, 307, 308].includes(response.status) || !location) return response;
      await response.body?.cancel();
      const next = new URL(location, target);
      if (next.origin !== new URL(target).origin) sendHeaders = withoutAuthorization(sendHeaders);
      target = next.toString();
    }
    throw new UpstreamError(`upstream ${new URL(url).host}: too many redirects`);
  }
}

const pullScope = (repository: string) => `repository:${repository}:pull`;

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  const { Authorization: _dropped, ...rest } = headers;
  return rest;
}
