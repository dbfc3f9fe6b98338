import { afterEach, describe, expect, test } from "bun:test";
import { utimes } from "node:fs/promises";
import { join } from "node:path";
import { FailureThrottle } from "../../src/auth/throttle.ts";
import { loadConfig } from "../../src/config/load.ts";
import { silentLogger } from "../../src/log.ts";
import { digestOf } from "../../src/registry/digest.ts";
import { InMemoryDriver } from "../../src/storage/driver/inmemory.ts";
import { buildRegistry } from "../../src/wire.ts";
import { tempDir } from "../support/process.ts";
import { bytes, errorCode } from "../support/registry.ts";
import { claims, jwks, signToken, testKey } from "./support.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function registryWith(authYaml: string, driver = new InMemoryDriver()) {
  const config = loadConfig({
    text: `version: 0.1\nstorage:\n  inmemory:\n  delete: {enabled: true}\nauth:\n${authYaml}`,
  });
  const registry = buildRegistry(config, silentLogger, driver);
  return {
    driver,
    request: (method: string, path: string, init?: RequestInit) =>
      registry.app.handle(new Request(`http://registry.test${path}`, { ...init, method })),
  };
}

const basic = (user: string, password: string) => ({
  Authorization: `Basic ${btoa(`${user}:${password}`)}`,
});
const digest = digestOf("content");
const everyRoute: [string, string][] = [
  ["GET", "/v2/"],
  ["GET", "/v2/_catalog"],
  ["GET", "/v2/lib/app/tags/list"],
  ["HEAD", `/v2/lib/app/blobs/${digest}`],
  ["GET", `/v2/lib/app/blobs/${digest}`],
  ["DELETE", `/v2/lib/app/blobs/${digest}`],
  ["POST", "/v2/lib/app/blobs/uploads/"],
  ["GET", `/v2/lib/app/blobs/uploads/${crypto.randomUUID()}`],
  ["PATCH", `/v2/lib/app/blobs/uploads/${crypto.randomUUID()}`],
  ["PUT", `/v2/lib/app/blobs/uploads/${crypto.randomUUID()}?digest=${digest}`],
  ["GET", "/v2/lib/app/manifests/latest"],
  ["PUT", "/v2/lib/app/manifests/latest"],
  ["DELETE", `/v2/lib/app/manifests/${digest}`],
  ["GET", `/v2/lib/app/referrers/${digest}`],
];

async function htpasswdFile(lines: string[]): Promise<string> {
  const dir = await tempDir();
  cleanups.push(dir.cleanup);
  const path = join(dir.path, "htpasswd");
  await Bun.write(path, `${lines.join("\n")}\n`);
  return path;
}

describe("htpasswd", () => {
  test("every route, /v2/ included, answers 401 with the Basic challenge without credentials", async () => {
    const hash = (await Bun.password.hash("secret", { algorithm: "bcrypt", cost: 4 })).replace(
      "$2b$",
      "$2y$",
    );
    const registry = registryWith(
      `  htpasswd:\n    realm: skiff-test\n    path: ${await htpasswdFile([`alice:${hash}`])}\n`,
    );
    for (const [method, path] of everyRoute) {
      const response = await registry.request(method, path);
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Basic realm="skiff-test"');
      if (method !== "HEAD") expect(await errorCode(response)).toBe("UNAUTHORIZED");
    }
    expect(
      (await registry.request("GET", "/v2/", { headers: basic("alice", "wrong") })).status,
    ).toBe(401);
    expect(
      (await registry.request("GET", "/v2/", { headers: basic("mallory", "secret") })).status,
    ).toBe(401);
    expect(
      (await registry.request("GET", "/v2/", { headers: basic("alice", "secret") })).status,
    ).toBe(200);
    const push = await registry.request("POST", `/v2/lib/app/blobs/uploads/?digest=${digest}`, {
      body: bytes("content"),
      headers: basic("alice", "secret"),
    });
    expect(push.status).toBe(201);
    expect((await registry.request("GET", "/healthz")).status).toBe(200);
  });

  test("the file is re-read when it changes", async () => {
    const hash = await Bun.password.hash("one", { algorithm: "bcrypt", cost: 4 });
    const path = await htpasswdFile([`alice:${hash}`]);
    const registry = registryWith(`  htpasswd:\n    realm: r\n    path: ${path}\n`);
    expect((await registry.request("GET", "/v2/", { headers: basic("bob", "two") })).status).toBe(
      401,
    );
    await Bun.write(
      path,
      `alice:${hash}\nbob:${await Bun.password.hash("two", { algorithm: "bcrypt", cost: 4 })}\n`,
    );
    const later = new Date(Date.now() + 5000);
    await utimes(path, later, later);
    expect((await registry.request("GET", "/v2/", { headers: basic("bob", "two") })).status).toBe(
      200,
    );
  });

  test("repeated failures from one address are slowed down, doubling up to a maximum", async () => {
    const delays: number[] = [];
    const throttle = new FailureThrottle({
      freeFailures: 2,
      delayMs: 100,
      maxDelayMs: 350,
      sleep: async (ms) => void delays.push(ms),
    });
    for (let i = 0; i < 6; i++) await throttle.failed("10.0.0.1");
    expect(delays).toEqual([100, 200, 350, 350]);
    throttle.succeeded("10.0.0.1");
    await throttle.failed("10.0.0.1");
    expect(delays).toHaveLength(4);
  });
});

describe("token auth", () => {
  async function tokenRegistry() {
    const [rsa, ec, ed] = [testKey("RS256"), testKey("ES256"), testKey("EdDSA")];
    const dir = await tempDir();
    cleanups.push(dir.cleanup);
    const keysPath = join(dir.path, "jwks.json");
    await Bun.write(keysPath, jwks([rsa, ec, ed]));
    const registry = registryWith(
      `  token:\n    realm: https://auth.example/token\n    service: test-registry\n    issuer: test-issuer\n    jwks: ${keysPath}\n`,
    );
    return { registry, rsa, ec, ed };
  }
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  test("without a token: 401 naming realm, service and the scope the route needs", async () => {
    const { registry } = await tokenRegistry();
    const response = await registry.request("GET", "/v2/lib/app/manifests/latest");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe(
      'Bearer realm="https://auth.example/token",service="test-registry",scope="repository:lib/app:pull"',
    );
    const push = await registry.request("POST", "/v2/lib/app/blobs/uploads/");
    expect(push.headers.get("www-authenticate")).toContain('scope="repository:lib/app:pull,push"');
    expect((await registry.request("GET", "/v2/")).headers.get("www-authenticate")).toBe(
      'Bearer realm="https://auth.example/token",service="test-registry"',
    );
  });

  test("a token lacking push gets 403 DENIED on a push, and nothing is written", async () => {
    const { registry, rsa } = await tokenRegistry();
    const pullOnly = signToken(
      rsa,
      claims([{ type: "repository", name: "lib/app", actions: ["pull"] }]),
    );
    const push = await registry.request("POST", `/v2/lib/app/blobs/uploads/?digest=${digest}`, {
      body: bytes("content"),
      headers: bearer(pullOnly),
    });
    expect(push.status).toBe(403);
    expect(await errorCode(push)).toBe("DENIED");
    expect(await registry.driver.list("/").catch(() => [])).toEqual([]);
    expect(
      (await registry.request("GET", "/v2/lib/app/tags/list", { headers: bearer(pullOnly) }))
        .status,
    ).toBe(404);
  });

  test("RS256, ES256 and EdDSA tokens with the right access are accepted", async () => {
    const { registry, rsa, ec, ed } = await tokenRegistry();
    for (const key of [rsa, ec, ed]) {
      const token = signToken(
        key,
        claims([{ type: "repository", name: "lib/app", actions: ["pull", "push"] }]),
      );
      const push = await registry.request("POST", `/v2/lib/app/blobs/uploads/?digest=${digest}`, {
        body: bytes("content"),
        headers: bearer(token),
      });
      expect(push.status).toBe(201);
    }
    const star = signToken(rsa, claims([{ type: "repository", name: "lib/app", actions: ["*"] }]));
    expect(
      (await registry.request("DELETE", `/v2/lib/app/blobs/${digest}`, { headers: bearer(star) }))
        .status,
    ).toBe(202);
    const catalog = signToken(rsa, claims([{ type: "registry", name: "catalog", actions: ["*"] }]));
    expect(
      (await registry.request("GET", "/v2/_catalog", { headers: bearer(catalog) })).status,
    ).toBe(200);
    expect((await registry.request("GET", "/v2/_catalog", { headers: bearer(star) })).status).toBe(
      403,
    );
  });

  test("bad tokens are 401: expired, not yet valid, wrong issuer or audience, foreign key, alg none, garbage", async () => {
    const { registry, rsa } = await tokenRegistry();
    const access = [{ type: "repository", name: "lib/app", actions: ["pull"] }];
    const now = Math.floor(Date.now() / 1000);
    const stranger = testKey("RS256", "RS256");
    const bad = [
      signToken(rsa, claims(access, { exp: now - 120 })),
      signToken(rsa, claims(access, { nbf: now + 600 })),
      signToken(rsa, claims(access, { iss: "someone-else" })),
      signToken(rsa, claims(access, { aud: "other-registry" })),
      signToken(stranger, claims(access)),
      `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${Buffer.from(JSON.stringify(claims(access))).toString("base64url")}.`,
      "not.a.token",
      "garbage",
    ];
    for (const token of bad) {
      const response = await registry.request("GET", "/v2/lib/app/tags/list", {
        headers: bearer(token),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
    }
    const skewed = signToken(rsa, claims(access, { exp: now - 30 }));
    expect(
      (await registry.request("GET", "/v2/lib/app/tags/list", { headers: bearer(skewed) })).status,
    ).toBe(404);
  });

  test("a PEM certificate bundle can hold the signing keys", async () => {
    const dir = await tempDir();
    cleanups.push(dir.cleanup);
    const keyPath = join(dir.path, "key.pem");
    const certPath = join(dir.path, "cert.pem");
    const openssl = Bun.spawnSync([
      "openssl",
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      keyPath,
      "-out",
      certPath,
      "-days",
      "1",
      "-subj",
      "/CN=token-signer",
    ]);
    expect(openssl.exitCode).toBe(0);
    const { createPrivateKey, createPublicKey } = await import("node:crypto");
    const privateKey = createPrivateKey(await Bun.file(keyPath).text());
    const key = {
      alg: "ES256" as const,
      kid: "any",
      privateKey,
      publicKey: createPublicKey(privateKey),
    };
    const registry = registryWith(
      `  token:\n    realm: https://auth.example/token\n    service: test-registry\n    issuer: test-issuer\n    rootcertbundle: ${certPath}\n`,
    );
    const token = signToken(
      key,
      claims([{ type: "repository", name: "lib/app", actions: ["pull"] }]),
    );
    expect((await registry.request("GET", "/v2/", { headers: bearer(token) })).status).toBe(200);
  });
});

describe("access log", () => {
  test("names the authenticated user", async () => {
    const hash = await Bun.password.hash("pw", { algorithm: "bcrypt", cost: 4 });
    const lines: string[] = [];
    const { createLogger } = await import("../../src/log.ts");
    const logger = createLogger({
      level: "info",
      formatter: "json",
      write: (line) => lines.push(line),
    });
    const config = loadConfig({
      text: `version: 0.1\nstorage:\n  inmemory:\nauth:\n  htpasswd:\n    realm: r\n    path: ${await htpasswdFile([`carol:${hash}`])}\n`,
    });
    const registry = buildRegistry(config, logger);
    await registry.app.handle(
      new Request("http://registry.test/v2/", { headers: basic("carol", "pw") }),
    );
    await Bun.sleep(1);
    const entry = JSON.parse(lines.find((line) => line.includes('"msg":"request"')) as string) as {
      user: string;
    };
    expect(entry.user).toBe("carol");
  });
});
