import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { defaultConfigText } from "../../src/config/default.ts";
import { ConfigError, loadConfig } from "../../src/config/load.ts";
import { selectedStorageDriver } from "../../src/config/schema.ts";
import { fixture, load, rejection, withStorage } from "./support.ts";

const unknown = (key: string) => `unknown configuration key "${key}" ignored`;

describe("defaults", () => {
  test("without a file: the embedded default, filesystem under ./data on 127.0.0.1:5000", () => {
    const config = loadConfig();
    expect(config.version).toBe("0.1");
    expect(config.log.level).toBe("info");
    expect(config.http.addr).toBe("127.0.0.1:5000");
    expect(config.storage.filesystem?.rootdirectory).toBe("./data");
    expect(config.storage.delete.enabled).toBe(true);
    expect(config.storage.cache.blobdescriptor).toBe("inmemory");
    expect(selectedStorageDriver(config)).toBe("filesystem");
    expect(loadConfig({ text: defaultConfigText })).toEqual(config);
  });

  test("every section is filled with Distribution's defaults", () => {
    const { config, warnings } = load("storage: inmemory\n");
    expect(warnings).toEqual([]);
    expect(selectedStorageDriver(config)).toBe("inmemory");
    expect(config).toEqual({
      version: "0.1",
      log: { level: "info", formatter: "text", fields: {}, accesslog: { disabled: false } },
      storage: {
        inmemory: {},
        delete: { enabled: false },
        redirect: { disable: false },
        cache: { blobdescriptor: "inmemory", blobdescriptorsize: 10_000 },
        maintenance: {
          uploadpurging: { enabled: true, age: 604_800_000, interval: 86_400_000, dryrun: false },
          readonly: { enabled: false },
        },
      },
      http: {
        addr: ":5000",
        net: "tcp",
        host: "",
        prefix: "",
        relativeurls: false,
        draintimeout: 10_000,
        idletimeout: 120_000,
        maxconcurrentuploads: 32,
        headers: { "X-Content-Type-Options": ["nosniff"] },
        debug: { addr: "", prometheus: { enabled: false, path: "/metrics" } },
        tls: {},
        http2: { disabled: false },
      },
      proxies: [],
      health: { storagedriver: { enabled: true, interval: 10_000, threshold: 3 } },
    });
  });

  test("an empty file is rejected for want of a storage driver only", () => {
    expect(rejection("")).toEqual([
      "storage: no storage driver configured (use one of filesystem, inmemory, s3)",
    ]);
  });

  test("a driver without parameters gets its defaults", () => {
    const { config } = load("version: 0.1\nstorage:\n  filesystem:\n");
    expect(config.storage.filesystem).toEqual({ rootdirectory: "/var/lib/registry" });
  });
});

describe("Distribution configs", () => {
  test("the Debian docker-registry 2.8.2 config loads as it is, without warnings", () => {
    const warnings: string[] = [];
    const config = loadConfig({
      path: fixture("distribution-debian.yml"),
      warn: (m) => warnings.push(m),
    });
    expect(warnings).toEqual([]);
    expect(config.log.fields).toEqual({ service: "registry" });
    expect(config.storage.filesystem?.rootdirectory).toBe("/var/lib/docker-registry");
    expect(config.storage.delete.enabled).toBe(true);
    expect(config.storage.cache.blobdescriptor).toBe("inmemory");
    expect(config.http.addr).toBe(":5000");
    expect(config.http.headers).toEqual({ "X-Content-Type-Options": ["nosniff"] });
    expect(config.auth?.htpasswd).toMatchObject({
      realm: "basic-realm",
      path: "/etc/docker/registry",
    });
    expect(config.health.storagedriver).toEqual({ enabled: true, interval: 10_000, threshold: 3 });
  });

  test("a full Distribution config loads; sections skiff lacks are warned about once each", () => {
    const warnings: string[] = [];
    const config = loadConfig({
      path: fixture("distribution-full.yml"),
      warn: (m) => warnings.push(m),
    });
    expect(config.log).toEqual({
      level: "debug",
      formatter: "json",
      fields: { service: "registry", environment: "staging" },
      accesslog: { disabled: true },
    });
    expect(config.storage.filesystem).toEqual({
      rootdirectory: "/var/lib/registry",
      maxthreads: 100,
    });
    expect(config.http.prefix).toBe("/my/nested/registry/");
    expect(config.http.secret).toBe("asecretforlocaldevelopment");
    expect(config.http.draintimeout).toBe(60_000);
    expect(config.http.tls).toEqual({
      certificate: "/path/to/x509/public",
      key: "/path/to/x509/private",
      clientcas: ["/path/to/ca.pem"],
      minimumtls: "tls1.2",
    });
    expect(config.redis?.dialtimeout).toBe(10);
    expect(config.redis?.pool).toEqual({ maxidle: 16, maxactive: 64, idletimeout: 300_000 });
    expect(config.proxy).toEqual({
      remoteurl: "https://registry-1.docker.io",
      username: "myuser",
      password: "mypass",
      ttl: 72 * 3_600_000,
    });
    expect(config.storage.cache.blobdescriptor).toBe("redis");
    expect(warnings.sort()).toEqual(
      [
        'configuration key "loglevel" is deprecated: use log.level',
        unknown("catalog"),
        unknown("health.tcp"),
        unknown("http.tls.letsencrypt"),
        unknown("middleware"),
        unknown("notifications"),
        unknown("reporting"),
        unknown("log.hooks"),
        unknown("compatibility"),
        unknown("validation"),
      ].sort(),
    );
  });

  test("unknown keys deep inside known sections are warned about with their path", () => {
    const { warnings } = load(
      withStorage(
        "http:\n  debug:\n    extra: true\nproxies:\n  - prefix: a\n    remoteurl: https://a.test\n    mirror: yes\n",
      ),
    );
    expect(warnings).toEqual([unknown("http.debug.extra"), unknown("proxies[0].mirror")]);
  });

  test("Distribution's deprecated top-level loglevel applies when log.level is absent", () => {
    expect(load("storage: inmemory\nloglevel: debug\n").config.log.level).toBe("debug");
    expect(load("storage: inmemory\nloglevel: debug\nlog: {level: error}\n").config.log.level).toBe(
      "error",
    );
  });
});

describe("errors", () => {
  test("every invalid value is named by its key path, with the reason and the value", () => {
    const problems = rejection(
      withStorage(
        "  delete:\n    enabled: maybe\nhttp:\n  draintimeout: 10 parsecs\n  relativeurls: [1]\nlog:\n  level: loud\nhealth:\n  storagedriver:\n    threshold: 1.5\nproxies:\n  - remoteurl: https://a.test\n",
      ),
    );
    expect(problems.sort()).toEqual(
      [
        'storage.delete.enabled: expected boolean, got "maybe"',
        'http.draintimeout: unknown unit " parsecs" in duration "10 parsecs" (use ns, us, ms, s, m or h)',
        "http.relativeurls: expected boolean, got [1]",
        'log.level: expected one of error, warn, info, debug, got "loud"',
        "health.storagedriver.threshold: expected integer, got 1.5",
        "proxies[0].prefix: required",
      ].sort(),
    );
  });

  test("limits are checked", () => {
    expect(rejection(withStorage("redis:\n  addr: r:6379\n  db: -1\n"))).toEqual([
      "redis.db: must be at least 0, got -1",
    ]);
  });

  test("zero or two storage drivers are errors", () => {
    expect(rejection("version: 0.1\nstorage:\n  delete: {enabled: true}\n")).toEqual([
      "storage: no storage driver configured (use one of filesystem, inmemory, s3)",
    ]);
    expect(rejection("storage:\n  inmemory:\n  filesystem: {rootdirectory: /x}\n")).toEqual([
      "storage: exactly one storage driver may be configured, found inmemory, filesystem",
    ]);
  });

  test("a storage driver skiff lacks is refused, not ignored", () => {
    expect(rejection("storage:\n  azure:\n    accountname: a\n")).toEqual([
      'storage.azure: storage driver "azure" is not supported by skiff (use filesystem, inmemory, s3)',
    ]);
  });

  test("an authentication method skiff lacks is refused: the registry would be open", () => {
    expect(rejection(withStorage("auth:\n  silly:\n    realm: r\n"))).toEqual([
      'auth.silly: authentication method "silly" is not supported by skiff (use htpasswd, token)',
    ]);
    expect(
      rejection(
        withStorage(
          "auth:\n  htpasswd: {realm: r, path: /p}\n  token: {realm: r, service: s, issuer: i}\n",
        ),
      ),
    ).toEqual(["auth: exactly one authentication method may be configured, found htpasswd, token"]);
  });

  test("required keys of a configured section", () => {
    expect(rejection(withStorage("auth:\n  htpasswd:\n")).sort()).toEqual([
      "auth.htpasswd.path: required",
      "auth.htpasswd.realm: required",
    ]);
    expect(rejection("storage:\n  s3:\n    region: us-east-1\n")).toEqual([
      "storage.s3.bucket: required",
    ]);
  });

  test("a configuration version other than 0.1 is refused, as Distribution does", () => {
    expect(rejection("version: 0.2\nstorage: inmemory\n")).toEqual([
      'version: unsupported configuration version "0.2" (skiff reads 0.1)',
    ]);
  });

  test("a redis descriptor cache needs a Redis address", () => {
    expect(rejection(withStorage("  cache:\n    blobdescriptor: redis\n"))).toEqual([
      "storage.cache.blobdescriptor: redis needs a Redis server: set redis.addr (or redis.addrs)",
    ]);
  });

  test("upstream URLs must be http(s); prefixes must be set and distinct", () => {
    const problems = rejection(
      withStorage(
        "proxy:\n  remoteurl: registry-1.docker.io\nproxies:\n  - {prefix: a, remoteurl: ftp://a}\n  - {prefix: /a/, remoteurl: https://b}\n  - {prefix: '', remoteurl: https://c}\n",
      ),
    );
    expect(problems).toEqual([
      'proxy.remoteurl: expected an http(s) URL, got "registry-1.docker.io"',
      'proxies[0].remoteurl: expected an http(s) URL, got "ftp://a"',
      "proxies[1].prefix: a is already mirrored",
      "proxies[2].prefix: must name a prefix, e.g. docker.io",
    ]);
  });

  test("YAML that is not a mapping, or not YAML, is rejected", () => {
    expect(rejection("- a\n- b\n")).toEqual([
      "configuration: the configuration must be a YAML mapping",
    ]);
    expect(rejection("a: [b\n")[0]).toStartWith("configuration: invalid YAML");
  });

  test("an unreadable file is a ConfigError naming the file", () => {
    expect(() => loadConfig({ path: "/nonexistent/config.yml" })).toThrow(ConfigError);
    expect(() => loadConfig({ path: "/nonexistent/config.yml" })).toThrow(
      /^cannot read \/nonexistent\/config.yml/,
    );
  });
});

describe("config.example.yaml", () => {
  test("loads without errors or warnings, and the CLI's config check accepts it", async () => {
    const path = join(import.meta.dir, "../../config.example.yaml");
    const warnings: string[] = [];
    const config = loadConfig({ path, warn: (message) => warnings.push(message) });
    expect(warnings).toEqual([]);
    expect(config.storage.filesystem?.rootdirectory).toBe("/var/lib/registry");
    const check = Bun.spawn(
      [process.execPath, join(import.meta.dir, "../../src/cli.ts"), "config", "check", path],
      { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "" } },
    );
    expect(await check.exited).toBe(0);
    expect(await new Response(check.stdout).text()).toContain("rootdirectory: /var/lib/registry");
  });
});
