import { expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { formatConfig, redactConfig, redacted } from "../../src/config/redact.ts";

const text = `version: 0.1
storage:
  s3:
    accesskey: AKIAEXAMPLE
    secretkey: supersecret
    sessiontoken: tok-ABC
    bucket: images
http:
  secret: httpsecret
  tls:
    certificate: /etc/skiff/cert.pem
    key: /etc/skiff/key.pem
redis:
  addr: 127.0.0.1:6379
  username: cacheuser
  password: redispass
proxy:
  remoteurl: https://registry-1.docker.io
  username: me
  password: proxypass
proxies:
  - prefix: ghcr.io
    remoteurl: https://ghcr.io
    username: ghcruser
    password: ghcrpass
`;

const secrets = [
  "AKIAEXAMPLE",
  "supersecret",
  "tok-ABC",
  "httpsecret",
  "redispass",
  "proxypass",
  "ghcrpass",
];

test("every secret is redacted, everything else kept, the original untouched", () => {
  const config = loadConfig({ text });
  const copy = redactConfig(config);
  const printed = JSON.stringify(copy);
  for (const secret of secrets) expect(printed).not.toContain(secret);
  expect(copy.storage.s3).toMatchObject({
    accesskey: redacted,
    secretkey: redacted,
    sessiontoken: redacted,
    bucket: "images",
  });
  expect(copy.http.secret).toBe(redacted);
  expect(copy.redis).toMatchObject({ username: "cacheuser", password: redacted });
  expect(copy.proxy).toMatchObject({ username: "me", password: redacted });
  expect(copy.proxies[0]).toMatchObject({ username: "ghcruser", password: redacted });
  // A key file's name is not a secret; the key itself would be.
  expect(copy.http.tls.key).toBe("/etc/skiff/key.pem");
  expect(config.proxy?.password).toBe("proxypass");
  expect(config.storage.s3?.secretkey).toBe("supersecret");
});

test("a private key pasted inline is redacted", () => {
  const pem = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
  const config = loadConfig({ text: "storage: inmemory\n", env: { REGISTRY_HTTP_TLS_KEY: pem } });
  expect(redactConfig(config).http.tls.key).toBe(redacted);
});

test("empty secrets stay empty: nothing is hidden where nothing is set", () => {
  const config = loadConfig({ text: "storage: inmemory\nhttp: {secret: ''}\n" });
  expect(redactConfig(config).http.secret).toBe("");
});

test("formatConfig prints YAML without secrets, durations in Go's syntax", () => {
  const printed = formatConfig(loadConfig({ text }));
  for (const secret of secrets) expect(printed).not.toContain(secret);
  expect(printed).toContain("draintimeout: 10s");
  expect(printed).toContain("ttl: 168h0m0s");
  expect(printed).toContain("age: 168h0m0s");
  expect(printed).toContain("dialtimeout: 1s");
  expect(printed).toContain("readtimeout: 500ms");
});

test("formatConfig output loads back to the same config", () => {
  const config = loadConfig({
    text: `version: 0.1
storage:
  inmemory:
  maintenance:
    uploadpurging: {age: 90m, interval: 1.5s}
http:
  draintimeout: 90s
  headers: {X-Frame-Options: [DENY]}
log:
  fields: {service: registry}
proxies:
  - {prefix: a.test, remoteurl: https://a.test, ttl: 10us}
health:
  storagedriver: {interval: 250ms}
`,
  });
  const printed = formatConfig(config);
  expect(printed).toContain("draintimeout: 1m30s");
  expect(printed).toContain("ttl: 10µs");
  expect(loadConfig({ text: printed })).toEqual(config);
});
