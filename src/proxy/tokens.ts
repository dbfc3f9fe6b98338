import type { Challenge } from "./challenge.ts";

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
}

export interface TokenSourceOptions {
  readonly credentials?: Credentials;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  readonly timeoutMs?: number;
}

/** Tokens live this long when the server does not say (the Docker token spec's default). */
const defaultLifetimeSeconds = 60;
/** Renew a little before expiry so a request never carries a token that dies in flight. */
const renewMarginMs = 5_000;

export class TokenError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "TokenError";
  }
}

/**
 * Gets Bearer tokens from a registry's token service (Docker token spec): GET with Basic
 * credentials or anonymously, and the OAuth2 password grant (POST) when the GET is refused and
 * credentials exist. Tokens are cached per realm, service and scope until `expires_in`.
 */
export class TokenSource {
  private readonly cache = new Map<string, CachedToken>();
  private readonly fetch: typeof fetch;
  private readonly now: () => number;

  constructor(private readonly options: TokenSourceOptions = {}) {
    this.fetch = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  cached(challenge: Challenge, scope: string): string | undefined {
    const entry = this.cache.get(cacheKey(challenge, scope));
    return entry && entry.expiresAt - renewMarginMs > this.now() ? entry.token : undefined;
  }

  async token(challenge: Challenge, scope: string): Promise<string> {
    const hit = this.cached(challenge, scope);
    if (hit) return hit;
    const realm = challenge.params.realm;
    if (!realm) throw new TokenError("token challenge without realm");
    const response = await this.requestToken(realm, challenge.params.service, scope);
    const body = (await response.json().catch(() => ({}))) as {
      token?: string;
      access_token?: string;
      expires_in?: number;
    };
    const token = body.token ?? body.access_token;
    if (!token) throw new TokenError("token service answered without a token");
    const lifetime =
      typeof body.expires_in === "number" && body.expires_in > 0
        ? body.expires_in
        : defaultLifetimeSeconds;
    this.cache.set(cacheKey(challenge, scope), { token, expiresAt: this.now() + lifetime * 1000 });
    return token;
  }

  private async requestToken(
    realm: string,
    service: string | undefined,
    scope: string,
  ): Promise<Response> {
    const url = new URL(realm);
    if (service) url.searchParams.set("service", service);
    if (scope) url.searchParams.set("scope", scope);
    const headers: Record<string, string> = {};
    const credentials = this.options.credentials;
    if (credentials)
      headers.Authorization = `Basic ${btoa(`${credentials.username}:${credentials.password}`)}`;
    const signal = AbortSignal.timeout(this.options.timeoutMs ?? 30_000);
    const response = await this.fetch(url, { headers, signal });
    if (response.ok) return response;
    if (credentials && [400, 401, 403, 404, 405].includes(response.status)) {
      const form = new URLSearchParams({
        grant_type: "password",
        username: credentials.username,
        password: credentials.password,
        client_id: "skiff",
      });
      if (service) form.set("service", service);
      if (scope) form.set("scope", scope);
      const oauth = await this.fetch(realm, {
        method: "POST",
        body: form,
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        signal,
      });
      if (oauth.ok) return oauth;
    }
    throw new TokenError(
      `token service ${url.origin}${url.pathname} answered ${response.status}`,
      response.status,
    );
  }
}

const cacheKey = (challenge: Challenge, scope: string) =>
  `${challenge.params.realm}|${challenge.params.service ?? ""}|${scope}`;
