import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { selectedStorageDriver } from "../../src/config/schema.ts";
import { load, rejection } from "./support.ts";

const base = "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /from/file\n";

describe("REGISTRY_* environment overrides", () => {
  test("override a key present in the file", () => {
    const { config } = load(base, { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: "/from/env" });
    expect(config.storage.filesystem?.rootdirectory).toBe("/from/env");
  });

  test("set keys and whole sections absent from the file, coerced to the key's type", () => {
    const { config, warnings } = load(base, {
      REGISTRY_HTTP_ADDR: "0.0.0.0:5000",
      REGISTRY_STORAGE_DELETE_ENABLED: "true",
      REGISTRY_STORAGE_CACHE_BLOBDESCRIPTORSIZE: "42",
      REGISTRY_REDIS_ADDR: "127.0.0.1:6379",
      REGISTRY_REDIS_DB: "3",
      REGISTRY_REDIS_DIALTIMEOUT: "250ms",
      REGISTRY_PROXY_REMOTEURL: "https://upstream.test",
      REGISTRY_PROXY_TTL: "1h",
      REGISTRY_AUTH_HTPASSWD_REALM: "realm",
      REGISTRY_AUTH_HTPASSWD_PATH: "/etc/htpasswd",
    });
    expect(warnings).toEqual([]);
    expect(config.http.addr).toBe("0.0.0.0:5000");
    expect(config.storage.delete.enabled).toBe(true);
    expect(config.storage.cache.blobdescriptorsize).toBe(42);
    expect(config.redis).toMatchObject({ addr: "127.0.0.1:6379", db: 3, dialtimeout: 250 });
    expect(config.proxy).toEqual({ remoteurl: "https://upstream.test", ttl: 3_600_000 });
    expect(config.auth?.htpasswd).toMatchObject({ realm: "realm", path: "/etc/htpasswd" });
  });

  test("a string key keeps the text as it is, even when it reads as a number or boolean", () => {
    const { config } = load(base, {
      REGISTRY_HTTP_SECRET: "12345",
      REGISTRY_HTTP_HOST: "true",
      REGISTRY_REDIS_ADDR: "r:6379",
      REGISTRY_REDIS_PASSWORD: "0x10",
    });
    expect(config.http.secret).toBe("12345");
    expect(config.http.host).toBe("true");
    expect(config.redis?.password).toBe("0x10");
  });

  test("lists as YAML, list items by index, map entries by key", () => {
    const { config } = load(`${base}http:\n  headers:\n    X-Content-Type-Options: [nosniff]\n`, {
      REGISTRY_HTTP_TLS_CLIENTCAS: "[/a.pem, /b.pem]",
      REGISTRY_PROXIES_0_PREFIX: "docker.io",
      REGISTRY_PROXIES_0_REMOTEURL: "https://registry-1.docker.io",
      REGISTRY_PROXIES_1_PREFIX: "ghcr.io",
      REGISTRY_PROXIES_1_REMOTEURL: "https://ghcr.io",
      REGISTRY_LOG_FIELDS_SERVICE: "registry",
      "REGISTRY_HTTP_HEADERS_X-CONTENT-TYPE-OPTIONS": "[nosniff, other]",
    });
    expect(config.http.tls.clientcas).toEqual(["/a.pem", "/b.pem"]);
    expect(config.proxies.map((p) => [p.prefix, p.remoteurl])).toEqual([
      ["docker.io", "https://registry-1.docker.io"],
      ["ghcr.io", "https://ghcr.io"],
    ]);
    expect(config.log.fields).toEqual({ service: "registry" });
    // An existing entry is matched whatever its case: no second header is added.
    expect(config.http.headers).toEqual({ "X-Content-Type-Options": ["nosniff", "other"] });
  });

  test("a name that matches no key leaves no empty section behind", () => {
    const { config, warnings } = load(base, { REGISTRY_PROXY_NOPE: "1", REGISTRY_REDIS_X_Y: "1" });
    expect(config.proxy).toBeUndefined();
    expect(config.redis).toBeUndefined();
    expect(warnings).toHaveLength(2);
  });

  test("a list index past the end matches nothing", () => {
    const { config, warnings } = load(base, { REGISTRY_PROXIES_1_PREFIX: "a" });
    expect(config.proxies).toEqual([]);
    expect(warnings).toEqual([
      "environment variable REGISTRY_PROXIES_1_PREFIX matches no configuration key; ignored",
    ]);
  });

  test("REGISTRY_STORAGE switches the driver; the other driver's section is dropped", () => {
    const { config } = load(`${base}  delete: {enabled: true}\n`, { REGISTRY_STORAGE: "inmemory" });
    expect(selectedStorageDriver(config)).toBe("inmemory");
    expect(config.storage.filesystem).toBeUndefined();
    expect(config.storage.delete.enabled).toBe(true);
  });

  test("REGISTRY_STORAGE applies before the driver's own keys (names are sorted)", () => {
    const { config } = load(base, {
      REGISTRY_STORAGE_S3_BUCKET: "images",
      REGISTRY_STORAGE: "s3",
      REGISTRY_STORAGE_S3_REGION: "eu-west-1",
    });
    expect(selectedStorageDriver(config)).toBe("s3");
    expect(config.storage.s3).toEqual({ bucket: "images", region: "eu-west-1" });
  });

  test("REGISTRY_STORAGE with a driver skiff lacks is refused", () => {
    expect(rejection(base, { REGISTRY_STORAGE: "gcs" })).toEqual([
      'storage.gcs (from REGISTRY_STORAGE): storage driver "gcs" is not supported by skiff (use filesystem, inmemory, s3)',
    ]);
  });

  test("setting a second driver without REGISTRY_STORAGE is the two-driver error", () => {
    expect(rejection(base, { REGISTRY_STORAGE_S3_BUCKET: "b" })).toEqual([
      "storage: exactly one storage driver may be configured, found filesystem, s3",
    ]);
  });

  test("a bad value names the key path and the variable it came from", () => {
    expect(rejection(base, { REGISTRY_STORAGE_DELETE_ENABLED: "perhaps" })).toEqual([
      'storage.delete.enabled (from REGISTRY_STORAGE_DELETE_ENABLED): expected boolean, got "perhaps"',
    ]);
    expect(rejection(base, { REGISTRY_HTTP_DRAINTIMEOUT: "5 minutes" })[0]).toStartWith(
      'http.draintimeout (from REGISTRY_HTTP_DRAINTIMEOUT): unknown unit " minutes"',
    );
  });

  test("an empty value resets a key to its default", () => {
    const { config } = load(`${base}http: {addr: ':6000'}\nlog: {level: debug}\n`, {
      REGISTRY_LOG_LEVEL: "",
      REGISTRY_STORAGE_CACHE_BLOBDESCRIPTOR: "",
    });
    expect(config.log.level).toBe("info" as never);
    // ...except where the empty word is a value of its own: no descriptor cache.
    expect(config.storage.cache.blobdescriptor).toBe("");
  });

  test("REGISTRY_ names matching no key are warned about; other variables are not read", () => {
    const { config, warnings } = load(base, {
      REGISTRY_NOPE: "1",
      REGISTRY_STORAGE_FILESYTEM_ROOTDIRECTORY: "/typo",
      REGISTRY_CONFIGURATION_PATH: "/etc/docker/registry/config.yml",
      REGISTRY_: "x",
      PATH: "/bin",
      HTTP_ADDR: ":1",
    });
    expect(config.storage.filesystem?.rootdirectory).toBe("/from/file");
    expect(config.http.addr).toBe(":5000");
    expect(warnings).toEqual([
      "environment variable REGISTRY_ matches no configuration key; ignored",
      "environment variable REGISTRY_NOPE matches no configuration key; ignored",
      "environment variable REGISTRY_STORAGE_FILESYTEM_ROOTDIRECTORY matches no configuration key; ignored",
    ]);
  });

  test("overrides apply to the embedded default too", () => {
    const config = loadConfig({ env: { REGISTRY_HTTP_ADDR: "127.0.0.1:7000" } });
    expect(config.http.addr).toBe("127.0.0.1:7000");
    expect(config.storage.filesystem?.rootdirectory).toBe("./data");
  });
});
