import { afterEach, describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { silentLogger } from "../../src/log.ts";
import { InMemoryDriver } from "../../src/storage/driver/inmemory.ts";
import { buildRegistry, type Registry } from "../../src/wire.ts";
import { pushImage, type Requester } from "../support/registry.ts";

const config = loadConfig({
  text: "version: 0.1\nstorage:\n  inmemory:\n  delete: {enabled: true}\n  cache: {blobdescriptor: inmemory}\nhttp:\n  debug:\n    prometheus: {enabled: true}\n",
});

const registries: Registry[] = [];
afterEach(async () => {
  for (const registry of registries.splice(0)) await registry.close();
});

function start(driver: InMemoryDriver): Registry & Requester {
  const registry = buildRegistry(config, silentLogger, driver);
  registries.push(registry);
  return Object.assign(registry, {
    request: (method: string, path: string, init?: RequestInit) =>
      registry.app.handle(new Request(`http://registry.test${path}`, { ...init, method })),
  });
}

/** The value of one sample line of the Prometheus text format, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.indexOf("}"));
    const pairs = Object.fromEntries(
      [...body.matchAll(/(\w+)="([^"]*)"/g)].map(([, key, value]) => [key, value]),
    );
    if (Object.entries(labels).every(([key, value]) => pairs[key] === value))
      return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return 0;
}

describe("Prometheus metrics", () => {
  test("a push/pull sequence moves the counters by the right amounts, with route-template labels", async () => {
    const driver = new InMemoryDriver();
    const first = start(driver);
    const image = await pushImage(first, "lib/app", "v1", 1, 2);
    for (const digest of [image.config, ...image.layers])
      expect((await first.request("HEAD", `/v2/lib/app/blobs/${digest}`)).status).toBe(200);
    expect((await first.request("GET", "/v2/lib/app/manifests/v1")).status).toBe(200);
    expect((await first.request("GET", "/v2/lib/app/blobs/sha256:nope")).status).toBe(400);

    // Request metrics are recorded after the response is sent: let that callback run.
    await Bun.sleep(1);
    const text = await first.metrics?.text();
    if (!text) throw new Error("metrics disabled");
    expect(
      sample(text, "registry_http_requests_total", {
        code: "201",
        handler: "blob_upload",
        method: "POST",
      }),
    ).toBe(3);
    expect(
      sample(text, "registry_http_requests_total", {
        code: "201",
        handler: "manifest",
        method: "PUT",
      }),
    ).toBe(1);
    expect(
      sample(text, "registry_http_requests_total", {
        code: "200",
        handler: "blob",
        method: "HEAD",
      }),
    ).toBe(3);
    expect(
      sample(text, "registry_http_requests_total", {
        code: "200",
        handler: "manifest",
        method: "GET",
      }),
    ).toBe(1);
    expect(
      sample(text, "registry_http_requests_total", { code: "400", handler: "blob", method: "GET" }),
    ).toBe(1);
    // Pushed blobs were put in the cache at commit: the manifest's three reference checks and
    // the three HEADs are all hits, nothing missed.
    expect(sample(text, "registry_storage_cache_total", { type: "Hit" })).toBe(6);
    expect(sample(text, "registry_storage_cache_total", { type: "Miss" })).toBe(0);
    expect(
      sample(text, "registry_storage_action_seconds_count", {
        driver: "inmemory",
        action: "PutContent",
      }),
    ).toBeGreaterThan(0);
    expect(text).toContain("process_resident_memory_bytes");
    const handlers = new Set(
      [...text.matchAll(/handler="([^"]*)"/g)].map(([, handler]) => handler),
    );
    expect(
      [...handlers].every((handler) =>
        [
          "base",
          "catalog",
          "blob",
          "blob_upload",
          "blob_upload_chunk",
          "manifest",
          "tags",
          "referrers",
          "unknown",
          "other",
        ].includes(handler as string),
      ),
    ).toBe(true);
    expect(text).not.toContain("lib/app");

    // A fresh instance on the same storage: first HEAD misses and fills, the second hits.
    const second = start(driver);
    await second.request("HEAD", `/v2/lib/app/blobs/${image.config}`);
    await second.request("HEAD", `/v2/lib/app/blobs/${image.config}`);
    await Bun.sleep(1);
    const after = (await second.metrics?.text()) ?? "";
    expect(sample(after, "registry_storage_cache_total", { type: "Request" })).toBe(2);
    expect(sample(after, "registry_storage_cache_total", { type: "Miss" })).toBe(1);
    expect(sample(after, "registry_storage_cache_total", { type: "Hit" })).toBe(1);
  });
});
