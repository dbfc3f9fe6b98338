import { describe, expect, test } from "bun:test";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { tempFilesystemDriver } from "../../support/registry.ts";
import { driverSuite } from "./suite.ts";

driverSuite("filesystem", async () => {
  const { driver, cleanup } = await tempFilesystemDriver();
  return { driver, cleanup };
});

describe("filesystem driver specifics", () => {
  test("files land under the root directory in the driver's path layout", async () => {
    const { driver, root, cleanup } = await tempFilesystemDriver();
    await driver.putContent("/docker/registry/v2/x/link", "content");
    expect(await Bun.file(join(root, "docker/registry/v2/x/link")).text()).toBe("content");
    await cleanup();
  });

  test("putContent leaves no temporary file behind", async () => {
    const { driver, root, cleanup } = await tempFilesystemDriver();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => driver.putContent("/dir/file", `value ${i}`)),
    );
    expect(await readdir(join(root, "dir"))).toEqual(["file"]);
    await cleanup();
  });

  test("blob() is a Bun.file, served zero-copy", async () => {
    const { driver, cleanup } = await tempFilesystemDriver();
    await driver.putContent("/f", "zero copy");
    const blob = await driver.blob("/f");
    expect((blob as { name?: string }).name).toEndWith("/f");
    await cleanup();
  });
});
