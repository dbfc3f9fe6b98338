import { expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { formatConfig, redactConfig } from "../../src/config/redact.ts";

const text = `version: 0.1
storage:
  s3:
    accesskey: AKIAEXAMPLE
    secretkey: supersecret
    bucket: images
http:
  secret: httpsecret
redis:
  addr: 127.0.0.1:6379
  password: redispass
proxy:
  remoteurl: https://registry-1.docker.io
  username: me
  password: proxypass
proxies:
  - prefix: ghcr.io
    remoteurl: https://ghcr.io
    password: ghcrpass
`;

test("secrets are redacted everywhere, other values kept", () => {
  const config = loadConfig({ text });
  const printed = JSON.stringify(redactConfig(config));
  for (const secret of [
    "AKIAEXAMPLE",
    "supersecret",
    "httpsecret",
    "redispass",
    "proxypass",
    "ghcrpass",
  ])
    expect(printed).not.toContain(secret);
  expect(printed).toContain("images");
  expect(printed).toContain('"username":"me"');
  expect(config.proxy?.password).toBe("proxypass");
});

test("formatConfig prints YAML that loads back to the same config (less the secrets)", () => {
  const config = loadConfig({
    text: "version: 0.1\nstorage:\n  inmemory:\nhttp:\n  draintimeout: 90s\n",
  });
  const printed = formatConfig(config);
  expect(printed).toContain("draintimeout: 1m30s");
  expect(loadConfig({ text: printed })).toEqual(config);
});
