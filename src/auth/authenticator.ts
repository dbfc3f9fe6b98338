import type { Access } from "./access.ts";

/** Who made a request, once their credentials checked out. */
export interface Identity {
  readonly user: string;
}

export type AuthResult =
  | { readonly ok: true; readonly identity: Identity }
  /** No or bad credentials: 401 with a challenge. */
  | {
      readonly ok: false;
      readonly status: 401;
      readonly challenge: string;
      readonly message: string;
    }
  /** Valid identity without the access asked for: 403. */
  | { readonly ok: false; readonly status: 403; readonly message: string };

/** An authentication scheme (htpasswd, token) deciding about one request. */
export interface Authenticator {
  authorize(request: Request, access: readonly Access[], remote: string): Promise<AuthResult>;
}
