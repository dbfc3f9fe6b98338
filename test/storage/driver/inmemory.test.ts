import { describe, expect, test } from "bun:test";
import { InMemoryDriver } from "../../../src/storage/driver/inmemory.ts";
import { driverSuite } from "./suite.ts";

driverSuite("inmemory", async () => ({ driver: new InMemoryDriver(), cleanup: async () => {} }));

describe("inmemory driver", () => {
  test("a reader streams the content the file had when it was opened", async () => {
    const driver = new InMemoryDriver();
    await driver.putContent("/f", "before");
    const stream = await driver.reader("/f", 0);
    const writer = await driver.writer("/f", true);
    await writer.write(new TextEncoder().encode(", after"));
    await writer.commit();
    await writer.close();
    expect(await new Response(stream).text()).toBe("before");
    expect(new TextDecoder().decode(await driver.getContent("/f"))).toBe("before, after");
  });

  test("a Blob is a copy that later appends do not change", async () => {
    const driver = new InMemoryDriver();
    const writer = await driver.writer("/f", false);
    await writer.write(new TextEncoder().encode("abc"));
    const blob = await driver.blob("/f");
    await writer.write(new TextEncoder().encode("def"));
    await writer.close();
    expect(await blob.text()).toBe("abc");
    expect(await (await driver.blob("/f")).text()).toBe("abcdef");
  });

  test("empty directories stay until deleted, as on disk", async () => {
    const driver = new InMemoryDriver();
    await driver.putContent("/a/b/c", "x");
    await driver.delete("/a/b/c");
    expect(await driver.list("/a/b")).toEqual([]);
    await driver.delete("/a");
    expect(await driver.list("/")).toEqual([]);
  });

  test("a directory can be moved whole; a file does not replace a directory", async () => {
    const driver = new InMemoryDriver();
    await driver.putContent("/src/x/1", "one");
    await driver.move("/src/x", "/dst/x");
    expect(new TextDecoder().decode(await driver.getContent("/dst/x/1"))).toBe("one");
    await driver.putContent("/file", "f");
    await expect(driver.move("/file", "/dst")).rejects.toThrow("directory");
    await expect(driver.putContent("/dst", "f")).rejects.toThrow("directory");
    await expect(driver.move("/dst", "/dst/x/inside")).rejects.toThrow("into itself");
  });
});
