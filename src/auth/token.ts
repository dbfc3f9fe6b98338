import {
  createPublicKey,
  type KeyObject,
  verify as verifySignature,
  X509Certificate,
} from "node:crypto";
import { readFileSync } from "node:fs";
import { type Access, scopeOf } from "./access.ts";
import type { Authenticator, AuthResult } from "./authenticator.ts";

export interface TokenOptions {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM certificates whose keys may sign tokens. */
  readonly rootcertbundle?: string;
  /** A JWKS file (`{"keys": [...]}`) whose keys may sign tokens. */
  readonly jwks?: string;
  /** Clock skew tolerated on `exp`/`nbf`, in seconds. */
  readonly leewaySeconds?: number;
  readonly now?: () => number;
}

interface SigningKey {
  readonly kid?: string;
  readonly key: KeyObject;
}

interface Claims {
  iss?: string;
  aud?: string | string[];
  sub?: string;
  exp?: number;
  nbf?: number;
  access?: { type?: string; name?: string; actions?: string[] }[];
}

const algorithms: Record<string, { hash: string | null; keyType: string[] }> = {
  RS256: { hash: "sha256", keyType: ["rsa"] },
  ES256: { hash: "sha256", keyType: ["ec"] },
  EdDSA: { hash: null, keyType: ["ed25519"] },
};

/**
 * `auth.token`: Bearer JWTs from a token service (Docker token spec). The signature must come
 * from a configured key; `iss`, `aud`, `exp` and `nbf` are checked; the `access` claim must grant
 * every action the request needs (403 DENIED otherwise).
 */
export class TokenAuthenticator implements Authenticator {
  private readonly keys: SigningKey[];

  constructor(private readonly options: TokenOptions) {
    this.keys = [...certificateKeys(options.rootcertbundle), ...jwksKeys(options.jwks)];
    if (this.keys.length === 0)
      throw new Error("auth.token: no signing keys (set rootcertbundle or jwks)");
  }

  async authorize(request: Request, access: readonly Access[]): Promise<AuthResult> {
    const header = request.headers.get("authorization");
    const token = header && /^bearer /i.test(header) ? header.slice(7).trim() : undefined;
    if (!token) return this.challenge(access, "authentication required");
    const claims = this.verify(token);
    if (typeof claims === "string") return this.challenge(access, claims, "invalid_token");
    const missing = access.filter((needed) => !grants(claims, needed));
    if (missing.length > 0)
      return { ok: false, status: 403, message: `token lacks ${scopeOf(missing)}` };
    return { ok: true, identity: { user: claims.sub ?? "" } };
  }

  private challenge(access: readonly Access[], message: string, error?: string): AuthResult {
    const parts = [`realm="${this.options.realm}"`, `service="${this.options.service}"`];
    if (access.length > 0) parts.push(`scope="${scopeOf(access)}"`);
    if (error) parts.push(`error="${error}"`);
    return { ok: false, status: 401, challenge: `Bearer ${parts.join(",")}`, message };
  }

  /** The token's claims, or the reason it is not acceptable. */
  verify(token: string): Claims | string {
    const segments = token.split(".");
    if (segments.length !== 3) return "malformed token";
    const [head, body, signature] = segments as [string, string, string];
    const header = decodeJSON(head) as { alg?: string; kid?: string } | undefined;
    const claims = decodeJSON(body) as Claims | undefined;
    if (!header || !claims) return "malformed token";
    const algorithm = header.alg ? algorithms[header.alg] : undefined;
    if (!algorithm) return `unsupported algorithm ${String(header.alg)}`;
    const candidates = this.keys.filter(
      (k) =>
        algorithm.keyType.includes(k.key.asymmetricKeyType ?? "") &&
        (!header.kid || !k.kid || k.kid === header.kid),
    );
    const data = Buffer.from(`${head}.${body}`);
    const sig = Buffer.from(signature, "base64url");
    const signed = candidates.some(({ key }) => {
      try {
        return verifySignature(algorithm.hash, data, { key, dsaEncoding: "ieee-p1363" }, sig);
      } catch {
        return false;
      }
    });
    if (!signed) return "token signature is not from a trusted key";
    return this.checkClaims(claims);
  }

  private checkClaims(claims: Claims): Claims | string {
    const now = (this.options.now ?? Date.now)() / 1000;
    const leeway = this.options.leewaySeconds ?? 60;
    if (claims.iss !== this.options.issuer) return "token issuer is not trusted";
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(this.options.service)) return "token is for another service";
    if (typeof claims.exp !== "number" || claims.exp + leeway < now) return "token expired";
    if (typeof claims.nbf === "number" && claims.nbf - leeway > now) return "token not yet valid";
    return claims;
  }
}

function grants(claims: Claims, needed: Access): boolean {
  return (claims.access ?? []).some(
    (entry) =>
      entry.type === needed.type &&
      entry.name === needed.name &&
      (entry.actions ?? []).some((action) => action === needed.action || action === "*"),
  );
}

function decodeJSON(segment: string): unknown {
  try {
    const value = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

function certificateKeys(path: string | undefined): SigningKey[] {
  if (!path) return [];
  const pem = readFileSync(path, "utf8");
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => ({ key: new X509Certificate(block).publicKey }));
}

function jwksKeys(path: string | undefined): SigningKey[] {
  if (!path) return [];
  const { keys } = JSON.parse(readFileSync(path, "utf8")) as {
    keys?: (Record<string, unknown> & { kid?: string })[];
  };
  return (keys ?? []).map((jwk) => ({
    kid: jwk.kid,
    key: createPublicKey({ key: jwk as never, format: "jwk" }),
  }));
}
