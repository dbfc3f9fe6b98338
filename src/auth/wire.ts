import type { Config } from "../config/schema.ts";
import type { Authenticator } from "./authenticator.ts";
import { HtpasswdAuthenticator } from "./htpasswd.ts";
import { FailureThrottle } from "./throttle.ts";
import { TokenAuthenticator } from "./token.ts";

/** The authenticator `auth:` asks for: token, htpasswd, or none (an open registry). */
export function createAuthenticator(config: Config): Authenticator | undefined {
  const { auth } = config;
  if (auth?.token) return new TokenAuthenticator(auth.token);
  if (auth?.htpasswd) {
    const { realm, path, failures, failuredelay, maxfailuredelay } = auth.htpasswd;
    return new HtpasswdAuthenticator(
      { realm, path },
      new FailureThrottle({
        freeFailures: failures,
        delayMs: failuredelay,
        maxDelayMs: maxfailuredelay,
      }),
    );
  }
  return undefined;
}
