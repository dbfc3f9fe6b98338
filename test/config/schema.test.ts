import { describe, expect, test } from "bun:test";
import { load, rejection, withStorage } from "./support.ts";

describe("log", () => {
  test("level, formatter, fields and access log", () => {
    const { config } = load(
      withStorage(
        "log:\n  level: debug\n  formatter: json\n  fields: {service: registry, n: 1}\n  accesslog: {disabled: true}\n",
      ),
    );
    expect(config.log).toEqual({
      level: "debug",
      formatter: "json",
      fields: { service: "registry", n: 1 },
      accesslog: { disabled: true },
    });
  });

  test.each([
    ["warning", "warn"],
    ["panic", "error"],
    ["fatal", "error"],
    ["INFO", "info"],
    ["Debug", "debug"],
  ])("Distribution's level %p reads as %p", (level, expected) => {
    expect(load(withStorage(`log: {level: ${level}}\n`)).config.log.level).toBe(expected as never);
  });

  test("the logstash formatter reads as json", () => {
    expect(load(withStorage("log: {formatter: logstash}\n")).config.log.formatter).toBe("json");
  });
});

describe("http", () => {
  test("every key", () => {
    const { config, warnings } = load(
      withStorage(`http:
  addr: /run/skiff.sock
  net: unix
  host: https://registry.example.com
  prefix: /registry/
  relativeurls: true
  secret: 12345
  draintimeout: 1m
  headers:
    Strict-Transport-Security: [max-age=31536000]
    X-Frame-Options: DENY
  debug:
    addr: 127.0.0.1:5001
    prometheus: {enabled: true, path: /m}
  tls:
    certificate: /c.pem
    key: /k.pem
    clientcas: /ca.pem
    minimumtls: tls1.3
  http2: {disabled: true}
`),
    );
    expect(warnings).toEqual([]);
    expect(config.http).toMatchObject({
      addr: "/run/skiff.sock",
      net: "unix",
      host: "https://registry.example.com",
      prefix: "/registry/",
      relativeurls: true,
      secret: "12345",
      draintimeout: 60_000,
      headers: {
        "Strict-Transport-Security": ["max-age=31536000"],
        "X-Frame-Options": ["DENY"],
      },
      debug: { addr: "127.0.0.1:5001", prometheus: { enabled: true, path: "/m" } },
      tls: { certificate: "/c.pem", key: "/k.pem", clientcas: ["/ca.pem"], minimumtls: "tls1.3" },
      http2: { disabled: true },
    });
  });

  test("headers given in the file replace the default headers", () => {
    const { config } = load(withStorage("http:\n  headers: {X-Frame-Options: [DENY]}\n"));
    expect(config.http.headers).toEqual({ "X-Frame-Options": ["DENY"] });
  });

  test("keys written without a value keep their defaults", () => {
    const { config } = load(withStorage("http:\n  addr:\n  net: ''\n  debug:\n"));
    expect(config.http.addr).toBe(":5000");
    expect(config.http.net).toBe("tcp");
    expect(config.http.debug.prometheus.path).toBe("/metrics");
  });
});

describe("redis", () => {
  test("absent unless configured", () => {
    expect(load(withStorage("")).config.redis).toBeUndefined();
    expect(load(withStorage("redis:\n")).config.redis).toBeUndefined();
  });

  test("a single server, with defaults", () => {
    const { config } = load(withStorage("redis:\n  addr: 127.0.0.1:6379\n"));
    expect(config.redis).toEqual({
      addr: "127.0.0.1:6379",
      db: 0,
      dialtimeout: 1000,
      readtimeout: 500,
      writetimeout: 500,
      tls: { enabled: false },
      pool: {},
    });
  });

  test("sentinel and cluster keys, credentials, pool", () => {
    const { config } = load(
      withStorage(`redis:
  addrs: [s1:26379, s2:26379]
  mastername: mymaster
  cluster: false
  username: reg
  password: pw
  db: "2"
  dialtimeout: 2s
  tls: {enabled: true}
  pool: {maxidle: 4, maxactive: 8, idletimeout: 5m}
`),
    );
    expect(config.redis).toMatchObject({
      addrs: ["s1:26379", "s2:26379"],
      mastername: "mymaster",
      cluster: false,
      username: "reg",
      password: "pw",
      db: 2,
      dialtimeout: 2000,
      tls: { enabled: true },
      pool: { maxidle: 4, maxactive: 8, idletimeout: 300_000 },
    });
  });
});

describe("proxy and proxies", () => {
  test("proxy: Distribution's single upstream, ttl defaults to 168h, 0 = never", () => {
    const { config } = load(withStorage("proxy:\n  remoteurl: https://registry-1.docker.io\n"));
    expect(config.proxy).toEqual({ remoteurl: "https://registry-1.docker.io", ttl: 604_800_000 });
    const never = load(withStorage("proxy: {remoteurl: https://r.test, ttl: 0}\n")).config;
    expect(never.proxy?.ttl).toBe(0);
  });

  test("proxies: several upstreams under prefixes", () => {
    const { config } = load(
      withStorage(`proxies:
  - {prefix: docker.io, remoteurl: https://registry-1.docker.io}
  - {prefix: ghcr.io, remoteurl: https://ghcr.io, username: u, password: p, ttl: 24h}
`),
    );
    expect(config.proxies).toEqual([
      { prefix: "docker.io", remoteurl: "https://registry-1.docker.io", ttl: 604_800_000 },
      {
        prefix: "ghcr.io",
        remoteurl: "https://ghcr.io",
        username: "u",
        password: "p",
        ttl: 86_400_000,
      },
    ]);
  });

  test("proxy without remoteurl is an error", () => {
    expect(rejection(withStorage("proxy:\n  username: u\n"))).toEqual([
      "proxy.remoteurl: required",
    ]);
  });
});

describe("health and auth", () => {
  test("health.storagedriver", () => {
    const { config } = load(
      withStorage("health:\n  storagedriver: {enabled: false, interval: 30s, threshold: 5}\n"),
    );
    expect(config.health.storagedriver).toEqual({ enabled: false, interval: 30_000, threshold: 5 });
  });

  test("auth.htpasswd with skiff's throttle defaults", () => {
    const { config } = load(withStorage("auth:\n  htpasswd: {realm: r, path: /etc/htpasswd}\n"));
    expect(config.auth).toEqual({
      htpasswd: {
        realm: "r",
        path: "/etc/htpasswd",
        failures: 5,
        failuredelay: 1000,
        maxfailuredelay: 30_000,
      },
    });
  });

  test("auth.token", () => {
    const { config } = load(
      withStorage(
        "auth:\n  token:\n    realm: https://auth.test/token\n    service: registry\n    issuer: auth.test\n    rootcertbundle: /certs.pem\n    jwks: /jwks.json\n    autoredirect: true\n",
      ),
    );
    expect(config.auth?.token).toEqual({
      realm: "https://auth.test/token",
      service: "registry",
      issuer: "auth.test",
      rootcertbundle: "/certs.pem",
      jwks: "/jwks.json",
      autoredirect: true,
    });
  });

  test("no auth section, or an empty one, is an open registry", () => {
    expect(load(withStorage("")).config.auth).toBeUndefined();
    expect(load(withStorage("auth:\n")).config.auth).toBeUndefined();
    expect(load(withStorage("auth: {}\n")).config.auth).toEqual({});
  });
});
