import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";

export interface TestKey {
  readonly alg: "RS256" | "ES256" | "EdDSA";
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export function testKey(alg: TestKey["alg"], kid = alg): TestKey {
  const pair =
    alg === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : alg === "ES256"
        ? generateKeyPairSync("ec", { namedCurve: "P-256" })
        : generateKeyPairSync("ed25519");
  return { alg, kid, ...pair };
}

export function jwks(keys: TestKey[]): string {
  return JSON.stringify({
    keys: keys.map((key) => ({ ...key.publicKey.export({ format: "jwk" }), kid: key.kid })),
  });
}

/** Signs a JWT the way a Docker token service does. */
export function signToken(
  key: TestKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const head = encode({ alg: key.alg, typ: "JWT", kid: key.kid, ...header });
  const body = encode(claims);
  const data = Buffer.from(`${head}.${body}`);
  const signature = sign(key.alg === "EdDSA" ? null : "sha256", data, {
    key: key.privateKey,
    dsaEncoding: "ieee-p1363",
  });
  return `${head}.${body}.${signature.toString("base64url")}`;
}

export function claims(
  access: { type: string; name: string; actions: string[] }[],
  overrides: Record<string, unknown> = {},
) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: "test-issuer",
    aud: "test-registry",
    sub: "ci-bot",
    exp: now + 300,
    nbf: now - 10,
    iat: now,
    access,
    ...overrides,
  };
}
