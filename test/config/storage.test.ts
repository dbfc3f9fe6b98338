import { describe, expect, test } from "bun:test";
import { selectedStorageDriver } from "../../src/config/schema.ts";
import { load, rejection, withStorage } from "./support.ts";

describe("storage", () => {
  test("filesystem: rootdirectory and maxthreads (a numeric string too)", () => {
    const { config } = load(
      "storage:\n  filesystem:\n    rootdirectory: /srv\n    maxthreads: '50'\n",
    );
    expect(config.storage.filesystem).toEqual({ rootdirectory: "/srv", maxthreads: 50 });
    expect(selectedStorageDriver(config)).toBe("filesystem");
  });

  test("inmemory: empty, null, or named as a bare string", () => {
    for (const text of [
      "storage:\n  inmemory:\n",
      "storage:\n  inmemory: {}\n",
      "storage: inmemory\n",
    ])
      expect(selectedStorageDriver(load(text).config)).toBe("inmemory");
  });

  test("s3: Distribution's keys, with booleans and sizes written as strings", () => {
    const { config } = load(`storage:
  s3:
    accesskey: AKIA
    secretkey: s3cr3t
    region: eu-west-1
    regionendpoint: http://127.0.0.1:9000
    bucket: images
    rootdirectory: /registry
    forcepathstyle: "true"
    secure: no
    skipverify: off
    v4auth: yes
    encrypt: false
    chunksize: "10485760"
    multipartcopychunksize: 33554432
    multipartcopymaxconcurrency: 100
    multipartcopythresholdsize: 33554432
    storageclass: STANDARD
`);
    expect(selectedStorageDriver(config)).toBe("s3");
    expect(config.storage.s3).toEqual({
      accesskey: "AKIA",
      secretkey: "s3cr3t",
      region: "eu-west-1",
      regionendpoint: "http://127.0.0.1:9000",
      bucket: "images",
      rootdirectory: "/registry",
      forcepathstyle: true,
      secure: false,
      skipverify: false,
      v4auth: true,
      encrypt: false,
      chunksize: 10_485_760,
      multipartcopychunksize: 33_554_432,
      multipartcopymaxconcurrency: 100,
      multipartcopythresholdsize: 33_554_432,
      storageclass: "STANDARD",
    });
  });

  test("an inmemory section with a value is refused", () => {
    expect(rejection("storage:\n  inmemory: 5\n")).toEqual([
      "storage.inmemory: expected nothing or a mapping, got 5",
    ]);
  });

  test("s3 chunksize below 5 MiB is refused, as Distribution does", () => {
    expect(rejection("storage:\n  s3: {bucket: b, chunksize: 1024}\n")).toEqual([
      "storage.s3.chunksize: must be at least 5242880, got 1024",
    ]);
  });

  test("delete, redirect, cache, maintenance", () => {
    const { config } = load(`storage:
  inmemory:
  delete: {enabled: true}
  redirect: {disable: true}
  cache: {blobdescriptor: "", blobdescriptorsize: 500}
  maintenance:
    uploadpurging: {enabled: false, age: 1h, interval: 30m, dryrun: true}
    readonly: {enabled: "true"}
`);
    expect(config.storage.delete.enabled).toBe(true);
    expect(config.storage.redirect.disable).toBe(true);
    expect(config.storage.cache).toEqual({ blobdescriptor: "", blobdescriptorsize: 500 });
    expect(config.storage.maintenance).toEqual({
      uploadpurging: { enabled: false, age: 3_600_000, interval: 1_800_000, dryrun: true },
      readonly: { enabled: true },
    });
  });

  test("the old cache key layerinfo is read as blobdescriptor", () => {
    const { config, warnings } = load(withStorage("  cache: {layerinfo: ''}\n"));
    expect(config.storage.cache.blobdescriptor).toBe("");
    expect(warnings).toEqual([]);
  });

  test("a duration written as a bare number is nanoseconds, with a warning", () => {
    const { config, warnings } = load(
      withStorage("  maintenance:\n    uploadpurging: {age: 3600000000000}\n"),
    );
    expect(config.storage.maintenance.uploadpurging.age).toBe(3_600_000);
    expect(warnings).toEqual([
      'storage.maintenance.uploadpurging.age: 3600000000000 has no unit and is read as 3600000000000ns, as Distribution does (write "3600000000000s" for seconds)',
    ]);
  });
});
