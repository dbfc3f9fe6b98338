import { readFileSync, statSync } from "node:fs";
import type { Access } from "./access.ts";
import type { Authenticator, AuthResult } from "./authenticator.ts";
import type { FailureThrottle } from "./throttle.ts";

/** A bcrypt hash of nothing useful: unknown users are checked against it, so they cost the same. */
const decoyHash = "$2b$05$CUMGS9MhtEcX38Gfta/nO.VzMgVr8zWR/sMuKnTrprpT2aY7Pe8Ba";

/**
 * `auth.htpasswd`: Basic credentials checked against bcrypt entries of an htpasswd file, which
 * is re-read when it changes. Every failure takes a full bcrypt check, and repeated failures from
 * one address are slowed down further by the throttle.
 */
export class HtpasswdAuthenticator implements Authenticator {
  private users = new Map<string, string>();
  private loadedMtime = -1;

  constructor(
    private readonly options: { realm: string; path: string },
    private readonly throttle: FailureThrottle,
  ) {
    this.reloadIfChanged();
  }

  async authorize(
    request: Request,
    _access: readonly Access[],
    remote: string,
  ): Promise<AuthResult> {
    const challenge = `Basic realm="${this.options.realm.replaceAll('"', "")}"`;
    const credentials = basicCredentials(request.headers.get("authorization"));
    if (!credentials)
      return { ok: false, status: 401, challenge, message: "authentication required" };
    this.reloadIfChanged();
    const hash = this.users.get(credentials.user);
    const valid = await Bun.password
      .verify(credentials.password, normalizeBcrypt(hash ?? decoyHash))
      .catch(() => false);
    if (valid && hash) {
      this.throttle.succeeded(remote);
      return { ok: true, identity: { user: credentials.user } };
    }
    await this.throttle.failed(remote);
    return { ok: false, status: 401, challenge, message: "invalid username or password" };
  }

  private reloadIfChanged(): void {
    let mtime: number;
    try {
      mtime = statSync(this.options.path).mtimeMs;
    } catch {
      this.users = new Map();
      this.loadedMtime = -1;
      return;
    }
    if (mtime === this.loadedMtime) return;
    let text = "";
    try {
      text = readFileSync(this.options.path, "utf8");
    } catch {
      // Unreadable (a directory, no permission): nobody can log in until it is fixed.
    }
    this.users = parseHtpasswd(text);
    this.loadedMtime = mtime;
  }
}

/** `user:hash` lines; only bcrypt hashes are accepted (as Distribution does). */
export function parseHtpasswd(text: string): Map<string, string> {
  const users = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith("#")) continue;
    const colon = trimmed.indexOf(":");
    const user = trimmed.slice(0, colon);
    const hash = trimmed.slice(colon + 1);
    if (colon > 0 && /^\$2[abxy]\$\d{2}\$/.test(hash)) users.set(user, hash);
  }
  return users;
}

function basicCredentials(header: string | null): { user: string; password: string } | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  let decoded: string;
  try {
    decoded = atob(header.slice(6).trim());
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(":");
  if (colon <= 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** htpasswd writes `$2y$`; it is the same algorithm as `$2b$`. */
const normalizeBcrypt = (hash: string): string => hash.replace(/^\$2y\$/, "$2b$");
