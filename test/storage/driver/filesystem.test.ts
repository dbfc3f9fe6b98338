import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FilesystemDriver } from "../../../src/storage/driver/filesystem.ts";
import { driverSuite } from "./suite.ts";

/** A root inside a fresh temporary directory, so escapes from the root can be seen. */
async function tempRoot(): Promise<{ parent: string; root: string; cleanup: () => Promise<void> }> {
  const parent = await mkdtemp(join(tmpdir(), "skiff-fs-driver-"));
  const root = join(parent, "root");
  return { parent, root, cleanup: () => rm(parent, { recursive: true, force: true }) };
}

driverSuite("filesystem", async () => {
  const { root, cleanup } = await tempRoot();
  return { driver: new FilesystemDriver({ rootdirectory: root }), cleanup };
});

const text = (value: string) => new TextEncoder().encode(value);

async function openDescriptors(): Promise<number> {
  return (await readdir("/proc/self/fd")).length;
}

/** Opens readers and writers and keeps no reference to them, as a buggy caller would. */
async function openAndDrop(driver: FilesystemDriver): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await driver.reader("/r", i);
    const writer = await driver.writer(`/dropped/${i}`, false);
    await writer.write(text("x"));
  }
}

describe("filesystem driver on disk", () => {
  let parent: string;
  let root: string;
  let cleanup: () => Promise<void>;
  let driver: FilesystemDriver;

  beforeEach(async () => {
    ({ parent, root, cleanup } = await tempRoot());
    driver = new FilesystemDriver({ rootdirectory: root });
  });
  afterEach(() => cleanup());

  test("driver paths map to the same paths under the root, as in Distribution", async () => {
    await driver.putContent("/docker/registry/v2/repositories/a/link", "content");
    const writer = await driver.writer("/docker/registry/v2/blobs/data", false);
    await writer.write(text("blob"));
    await writer.commit();
    await writer.close();
    expect(await Bun.file(join(root, "docker/registry/v2/repositories/a/link")).text()).toBe(
      "content",
    );
    expect(await Bun.file(join(root, "docker/registry/v2/blobs/data")).text()).toBe("blob");
  });

  test("reads files written by another program, such as Distribution", async () => {
    await mkdir(join(root, "docker/registry/v2"), { recursive: true });
    await writeFile(join(root, "docker/registry/v2/link"), "sha256:abc");
    expect(await driver.list("/docker/registry/v2")).toEqual(["/docker/registry/v2/link"]);
    expect(new TextDecoder().decode(await driver.getContent("/docker/registry/v2/link"))).toBe(
      "sha256:abc",
    );
  });

  test("nothing is created outside the root, whatever the paths tried", async () => {
    await driver.putContent("/inside", "x");
    const attempts = [
      () => driver.putContent("/../escape", "x"),
      () => driver.putContent("/", "x"),
      () => driver.writer("/..", false),
      () => driver.move("/inside", "/../escape"),
      () => driver.move("/inside", "/"),
      () => driver.delete("/.."),
    ];
    for (const attempt of attempts) await expect(attempt()).rejects.toThrow();
    expect(await readdir(parent)).toEqual(["root"]);
    expect(await readdir(root)).toEqual(["inside"]);
  });

  test("concurrent puts leave no temporary file behind", async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => driver.putContent("/dir/file", `value ${i}`)),
    );
    expect(await readdir(join(root, "dir"))).toEqual(["file"]);
  });

  test("puts that need not be durable, racing into a new folder, leave one whole file", async () => {
    const values = Array.from({ length: 20 }, (_, i) => `value ${i}`);
    await Promise.all(values.map((v) => driver.putContent("/new/file", v, { durable: false })));
    expect(await readdir(join(root, "new"))).toEqual(["file"]);
    expect(values).toContain(new TextDecoder().decode(await driver.getContent("/new/file")));
  });

  // Past the size that starts syncs in the background: they overlap writes, a close, a reopen.
  test("a large upload written across two writers and committed reads back whole", async () => {
    const mib = 1024 * 1024;
    const hasher = new Bun.CryptoHasher("sha256");
    const writeMiB = async (writer: Awaited<ReturnType<typeof driver.writer>>, from: number) => {
      for (let i = from; i < from + 40; i++) {
        const chunk = new Uint8Array(mib).fill(i);
        hasher.update(chunk);
        await writer.write(chunk);
      }
    };
    const first = await driver.writer("/big/data", false);
    await writeMiB(first, 0);
    await first.close();
    const second = await driver.writer("/big/data", true);
    expect(second.size).toBe(40 * mib);
    await writeMiB(second, 40);
    await second.commit();
    await second.close();
    const stored = await Bun.file(join(root, "big/data")).bytes();
    expect(stored.byteLength).toBe(80 * mib);
    expect(new Bun.CryptoHasher("sha256").update(stored).digest("hex")).toBe(hasher.digest("hex"));
  });

  test("a failed put leaves no temporary file and the old entry in place", async () => {
    await driver.putContent("/dir/taken/child", "x");
    await expect(driver.putContent("/dir/taken", "over a directory")).rejects.toThrow();
    expect(await readdir(join(root, "dir"))).toEqual(["taken"]);
    expect(await driver.list("/dir/taken")).toEqual(["/dir/taken/child"]);
  });

  test("list and walk pass over temporary files and names no driver path can spell", async () => {
    await driver.putContent("/d/real", "x");
    const strays = [
      ".real.tmp-0b8f4a4e-6a0f-4c55-9d3e-8f1f7c2d1a90",
      "lost+found",
      "with space",
      "ünïcode",
    ];
    for (const name of strays) await writeFile(join(root, "d", name), "stray");
    expect(await driver.list("/d")).toEqual(["/d/real"]);
    const seen: string[] = [];
    await driver.walk("/", (info) => {
      seen.push(info.path);
      return undefined;
    });
    expect(seen).toEqual(["/d", "/d/real"]);
  });

  test("blob() is the file itself, for zero-copy responses", async () => {
    await driver.putContent("/dir/f", "zero copy");
    const blob = await driver.blob("/dir/f");
    expect((blob as { name?: string }).name).toBe(join(root, "dir/f"));
    expect(await new Response(blob).text()).toBe("zero copy");
  });

  test("a reader keeps streaming the file it opened after a delete or a replacement", async () => {
    await driver.putContent("/r", "original content");
    const beforeDelete = await driver.reader("/r", 9);
    await driver.delete("/r");
    expect(await new Response(beforeDelete).text()).toBe("content");
    await driver.putContent("/r", "first");
    const beforeReplace = await driver.reader("/r", 0);
    await driver.putContent("/r", "second");
    expect(await new Response(beforeReplace).text()).toBe("first");
  });

  test("readers and writers release their descriptors when done or cancelled", async () => {
    await driver.putContent("/r", new Uint8Array(1024 * 1024));
    const baseline = await openDescriptors();
    for (let i = 0; i < 20; i++) {
      await new Response(await driver.reader("/r", i)).arrayBuffer();
      const partial = (await driver.reader("/r", 0)).getReader();
      await partial.read();
      await partial.cancel();
      const writer = await driver.writer(`/w/${i}`, false);
      await writer.write(text("x"));
      if (i % 2) await writer.cancel();
      else await writer.close();
    }
    expect(await openDescriptors()).toBe(baseline);
  });

  test("a reader or writer dropped unfinished is closed once collected, without an error", async () => {
    await driver.putContent("/r", new Uint8Array(1024 * 1024));
    const baseline = await openDescriptors();
    await openAndDrop(driver);
    expect(await openDescriptors()).toBeGreaterThan(baseline);
    for (let round = 0; round < 20 && (await openDescriptors()) > baseline; round++) {
      Bun.gc(true);
      await Bun.sleep(1);
    }
    expect(await openDescriptors()).toBe(baseline);
  });

  test("a root that does not exist yet reads as empty paths and is created by writes", async () => {
    await expect(driver.list("/")).rejects.toThrow("path not found");
    await driver.putContent("/first", "x");
    expect(await driver.list("/")).toEqual(["/first"]);
  });

  test("deleting the root empties it but keeps the directory", async () => {
    await driver.putContent("/a/b", "x");
    await driver.putContent("/c", "x");
    await driver.delete("/");
    expect(await readdir(root)).toEqual([]);
    expect(await driver.list("/")).toEqual([]);
  });
});
