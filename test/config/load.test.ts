import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load.ts";
import { selectedStorageDriver } from "../../src/config/schema.ts";

const fixture = (name: string) => join(import.meta.dir, "fixtures", name);

function load(text: string, env: Record<string, string> = {}) {
  const warnings: string[] = [];
  const config = loadConfig({ text, env, warn: (message) => warnings.push(message) });
  return { config, warnings };
}

function problems(text: string, env: Record<string, string> = {}): string {
  try {
    loadConfig({ text, env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected the configuration to be rejected");
}

describe("loadConfig", () => {
  test("the embedded default: filesystem under ./data on 127.0.0.1:5000, inmemory cache", () => {
    const config = loadConfig();
    expect(config.http.addr).toBe("127.0.0.1:5000");
    expect(config.storage.filesystem?.rootdirectory).toBe("./data");
    expect(config.storage.cache.blobdescriptor).toBe("inmemory");
    expect(selectedStorageDriver(config)).toBe("filesystem");
  });

  test("defaults fill every section", () => {
    const { config } = load("version: 0.1\nstorage:\n  inmemory:\n");
    expect(selectedStorageDriver(config)).toBe("inmemory");
    expect(config.version).toBe("0.1");
    expect(config.log).toEqual({
      level: "info",
      formatter: "text",
      fields: {},
      accesslog: { disabled: false },
    });
    expect(config.storage.delete.enabled).toBe(false);
    expect(config.storage.maintenance.uploadpurging).toEqual({
      enabled: true,
      age: 604_800_000,
      interval: 86_400_000,
      dryrun: false,
    });
    expect(config.http.addr).toBe(":5000");
    expect(config.http.draintimeout).toBe(10_000);
    expect(config.http.headers).toEqual({ "X-Content-Type-Options": ["nosniff"] });
    expect(config.proxies).toEqual([]);
    expect(config.health.storagedriver).toEqual({ enabled: true, interval: 10_000, threshold: 3 });
  });

  test("the Debian docker-registry 2.8.2 config loads as it is", () => {
    const warnings: string[] = [];
    const config = loadConfig({
      path: fixture("distribution-debian.yml"),
      warn: (m) => warnings.push(m),
    });
    expect(config.storage.filesystem?.rootdirectory).toBe("/var/lib/docker-registry");
    expect(config.storage.delete.enabled).toBe(true);
    expect(config.http.addr).toBe(":5000");
    expect(config.auth?.htpasswd?.realm).toBe("basic-realm");
    expect(warnings).toEqual([]);
  });

  test("a full Distribution config loads, sections skiff lacks are warned about", () => {
    const warnings: string[] = [];
    const config = loadConfig({
      path: fixture("distribution-full.yml"),
      warn: (m) => warnings.push(m),
    });
    expect(config.log.level).toBe("debug");
    expect(config.log.formatter).toBe("json");
    expect(config.log.fields).toEqual({ service: "registry", environment: "staging" });
    expect(config.http.prefix).toBe("/my/nested/registry/");
    expect(config.http.draintimeout).toBe(60_000);
    expect(config.http.tls.clientcas).toEqual(["/path/to/ca.pem"]);
    expect(config.redis?.dialtimeout).toBe(10);
    expect(config.redis?.pool.idletimeout).toBe(300_000);
    expect(config.proxy?.ttl).toBe(72 * 3_600_000);
    expect(config.storage.cache.blobdescriptor).toBe("redis");
    expect(warnings.sort()).toEqual(
      ["loglevel", "middleware", "notifications", "reporting", "validation"].map(
        (key) => `unknown configuration key "${key}" ignored`,
      ),
    );
  });

  test("Distribution's log aliases are accepted", () => {
    const { config } = load("storage: {inmemory: }\nlog: {level: warning, formatter: logstash}\n");
    expect(config.log.level).toBe("warn");
    expect(config.log.formatter).toBe("json");
  });

  test("invalid values name the key path and the reason", () => {
    const message = problems(
      "storage:\n  inmemory:\n  delete:\n    enabled: maybe\nhttp:\n  draintimeout: 10 parsecs\nlog:\n  level: loud\n",
    );
    expect(message).toContain("storage.delete.enabled");
    expect(message).toContain('"maybe"');
    expect(message).toContain("http.draintimeout: invalid duration");
    expect(message).toContain("log.level");
  });

  test("zero or two storage drivers are errors", () => {
    expect(problems("version: 0.1\nstorage:\n  delete: {enabled: true}\n")).toContain(
      "no storage driver configured",
    );
    expect(problems("storage:\n  inmemory:\n  filesystem: {rootdirectory: /x}\n")).toContain(
      "exactly one storage driver",
    );
  });

  test("unknown keys deep inside known sections are warned about", () => {
    const { warnings } = load(
      "storage:\n  inmemory:\n  bogus: 1\nhttp:\n  debug:\n    extra: true\n",
    );
    expect(warnings).toEqual([
      'unknown configuration key "storage.bogus" ignored',
      'unknown configuration key "http.debug.extra" ignored',
    ]);
  });

  test("YAML that is not a mapping is rejected", () => {
    expect(problems("- a\n- b\n")).toContain("must be a YAML mapping");
    expect(problems("a: [b\n")).toContain("invalid YAML");
  });

  test("an unreadable file is a clear error", () => {
    expect(() => loadConfig({ path: "/nonexistent/config.yml" })).toThrow(
      /cannot read \/nonexistent\/config.yml/,
    );
  });
});

describe("environment overrides", () => {
  const base = "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /from/file\n";

  test("override keys present in the file", () => {
    const { config } = load(base, { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: "/from/env" });
    expect(config.storage.filesystem?.rootdirectory).toBe("/from/env");
  });

  test("set keys and sections absent from the file, with type coercion", () => {
    const { config } = load(base, {
      REGISTRY_HTTP_ADDR: "0.0.0.0:6000",
      REGISTRY_STORAGE_DELETE_ENABLED: "true",
      REGISTRY_HTTP_SECRET: "12345",
      REGISTRY_REDIS_ADDR: "127.0.0.1:6379",
      REGISTRY_REDIS_DB: "3",
      REGISTRY_PROXY_REMOTEURL: "https://upstream.example",
      REGISTRY_PROXY_TTL: "1h",
      REGISTRY_STORAGE_CACHE_BLOBDESCRIPTORSIZE: "42",
    });
    expect(config.http.addr).toBe("0.0.0.0:6000");
    expect(config.storage.delete.enabled).toBe(true);
    expect(config.http.secret).toBe("12345");
    expect(config.redis?.addr).toBe("127.0.0.1:6379");
    expect(config.redis?.db).toBe(3);
    expect(config.proxy?.remoteurl).toBe("https://upstream.example");
    expect(config.proxy?.ttl).toBe(3_600_000);
    expect(config.storage.cache.blobdescriptorsize).toBe(42);
  });

  test("REGISTRY_STORAGE switches the storage driver", () => {
    const { config } = load(base, { REGISTRY_STORAGE: "inmemory" });
    expect(selectedStorageDriver(config)).toBe("inmemory");
    expect(config.storage.filesystem).toBeUndefined();
  });

  test("a bad override is reported with its key path", () => {
    expect(problems(base, { REGISTRY_STORAGE_DELETE_ENABLED: "perhaps" })).toContain(
      "storage.delete.enabled",
    );
  });

  test("unrelated environment variables are ignored", () => {
    const { config, warnings } = load(base, { REGISTRY_NOPE: "1", PATH: "/bin", HOME: "/root" });
    expect(config.storage.filesystem?.rootdirectory).toBe("/from/file");
    expect(warnings).toEqual([]);
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
      { stdout: "pipe", stderr: "pipe" },
    );
    expect(await check.exited).toBe(0);
    expect(await new Response(check.stdout).text()).toContain("rootdirectory: /var/lib/registry");
  });
});
