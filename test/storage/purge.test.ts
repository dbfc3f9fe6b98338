import { describe, expect, test } from "bun:test";
import { silentLogger } from "../../src/log.ts";
import { purgeUploads, UploadPurger } from "../../src/storage/purge.ts";
import { bytes, testRegistry } from "../support/registry.ts";

const hour = 3_600_000;

async function startUpload(
  registry: ReturnType<typeof testRegistry>,
  name: string,
): Promise<string> {
  const response = await registry.request("POST", `/v2/${name}/blobs/uploads/`);
  const path = new URL(response.headers.get("location") as string).pathname;
  await registry.request("PATCH", path, { body: bytes("partial") });
  return path;
}

describe("upload purging", () => {
  test("removes uploads older than the age, keeps recent ones; dry run removes nothing", async () => {
    const registry = testRegistry();
    const old = await startUpload(registry, "lib/app");
    const other = await startUpload(registry, "other");
    const later = Date.now() + 2 * hour;

    const dry = await purgeUploads(registry.driver, { age: hour, dryRun: true, now: () => later });
    expect(dry).toHaveLength(2);
    expect((await registry.request("GET", old)).status).toBe(204);

    expect(
      await purgeUploads(registry.driver, { age: 3 * hour, dryRun: false, now: () => later }),
    ).toEqual([]);
    const purged = await purgeUploads(registry.driver, {
      age: hour,
      dryRun: false,
      now: () => later,
    });
    expect(purged.map((upload) => upload.path.split("/").pop()).sort()).toEqual(
      [old, other].map((path) => path.split("/").pop()).sort(),
    );
    expect((await registry.request("GET", old)).status).toBe(404);
    expect((await registry.request("GET", other)).status).toBe(404);
  });

  test("the background purger runs the same purge", async () => {
    const registry = testRegistry();
    const upload = await startUpload(registry, "bg");
    const purger = new UploadPurger(
      registry.driver,
      { age: hour, interval: hour, dryRun: false, now: () => Date.now() + 2 * hour },
      silentLogger,
    );
    expect(await purger.runOnce()).toHaveLength(1);
    expect((await registry.request("GET", upload)).status).toBe(404);
  });
});
