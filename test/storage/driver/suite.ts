import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  InvalidOffsetError,
  InvalidPathError,
  PathNotFoundError,
  SkipDir,
  type StorageDriver,
} from "../../../src/storage/driver/driver.ts";

export interface DriverFixture {
  readonly driver: StorageDriver;
  cleanup(): Promise<void>;
}

const text = (value: string) => new TextEncoder().encode(value);
const decode = (value: Uint8Array) => new TextDecoder().decode(value);

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function pattern(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

const sha256 = (data: Uint8Array) => new Bun.CryptoHasher("sha256").update(data).digest("hex");

/**
 * The behaviour every StorageDriver must show (Distribution's driver testsuites idea): each
 * implementation's test file calls this with a factory for a fresh, empty driver.
 */
export function driverSuite(name: string, makeDriver: () => Promise<DriverFixture>): void {
  describe(`${name} driver`, () => {
    let fixture: DriverFixture;
    let driver: StorageDriver;

    beforeEach(async () => {
      fixture = await makeDriver();
      driver = fixture.driver;
    });
    afterEach(() => fixture.cleanup());

    describe("content", () => {
      test("put and get round-trip binary, text and empty content", async () => {
        const binary = pattern(70_000, 3);
        await driver.putContent("/a/b/binary", binary);
        await driver.putContent("/a/b/text", "hello");
        await driver.putContent("/a/empty", new Uint8Array(0));
        expect(sha256(await driver.getContent("/a/b/binary"))).toBe(sha256(binary));
        expect(decode(await driver.getContent("/a/b/text"))).toBe("hello");
        expect((await driver.getContent("/a/empty")).byteLength).toBe(0);
      });

      test("put overwrites", async () => {
        await driver.putContent("/f", "first, longer value");
        await driver.putContent("/f", "second");
        expect(decode(await driver.getContent("/f"))).toBe("second");
      });

      test("get of a missing file is PathNotFoundError", async () => {
        await expect(driver.getContent("/missing/file")).rejects.toBeInstanceOf(PathNotFoundError);
      });

      test("concurrent puts to one path leave one complete value", async () => {
        const values = Array.from({ length: 10 }, (_, i) => String(i).repeat(10_000 + i));
        await Promise.all(values.map((value) => driver.putContent("/race", value)));
        expect(values).toContain(decode(await driver.getContent("/race")));
      });

      test("readers never see partial content while puts replace it", async () => {
        const a = "a".repeat(200_000);
        const b = "b".repeat(300_000);
        await driver.putContent("/swap", a);
        const writes: Promise<void>[] = [];
        const reads: Promise<string>[] = [];
        for (let i = 0; i < 20; i++) {
          writes.push(driver.putContent("/swap", i % 2 ? a : b));
          reads.push(driver.getContent("/swap").then(decode));
        }
        await Promise.all(writes);
        for (const value of await Promise.all(reads)) expect([a, b]).toContain(value);
      });
    });

    describe("stat and list", () => {
      test("stat reports files and directories", async () => {
        await driver.putContent("/dir/file", "12345");
        const file = await driver.stat("/dir/file");
        expect(file).toMatchObject({ path: "/dir/file", size: 5, isDir: false });
        expect(file.modTime).toBeInstanceOf(Date);
        expect((await driver.stat("/dir")).isDir).toBe(true);
        await expect(driver.stat("/nothing")).rejects.toBeInstanceOf(PathNotFoundError);
      });

      test("list gives the full paths of direct children, sorted", async () => {
        for (const path of ["/l/c", "/l/a/deep/x", "/l/b", "/other"])
          await driver.putContent(path, "x");
        expect(await driver.list("/l")).toEqual(["/l/a", "/l/b", "/l/c"]);
        expect(await driver.list("/")).toEqual(["/l", "/other"]);
        await expect(driver.list("/nope")).rejects.toBeInstanceOf(PathNotFoundError);
      });
    });

    describe("move and delete", () => {
      test("move into a new directory and over an existing file", async () => {
        await driver.putContent("/src/one", "one");
        await driver.move("/src/one", "/dst/deep/one");
        expect(decode(await driver.getContent("/dst/deep/one"))).toBe("one");
        await expect(driver.getContent("/src/one")).rejects.toBeInstanceOf(PathNotFoundError);
        await driver.putContent("/src/two", "two");
        await driver.move("/src/two", "/dst/deep/one");
        expect(decode(await driver.getContent("/dst/deep/one"))).toBe("two");
      });

      test("moving a missing file is PathNotFoundError", async () => {
        await expect(driver.move("/missing", "/elsewhere")).rejects.toBeInstanceOf(
          PathNotFoundError,
        );
      });

      test("delete removes a file or a whole tree", async () => {
        for (const path of ["/t/a", "/t/sub/b", "/t/sub/deeper/c", "/keep"])
          await driver.putContent(path, "x");
        await driver.delete("/t/a");
        await expect(driver.stat("/t/a")).rejects.toBeInstanceOf(PathNotFoundError);
        await driver.delete("/t");
        await expect(driver.stat("/t/sub/deeper/c")).rejects.toBeInstanceOf(PathNotFoundError);
        await expect(driver.list("/t")).rejects.toBeInstanceOf(PathNotFoundError);
        expect(decode(await driver.getContent("/keep"))).toBe("x");
        await expect(driver.delete("/t")).rejects.toBeInstanceOf(PathNotFoundError);
      });
    });

    describe("reader", () => {
      test("reads from offsets: start, middle, end", async () => {
        const content = pattern(100_000, 9);
        await driver.putContent("/r", content);
        expect(sha256(await readAll(await driver.reader("/r", 0)))).toBe(sha256(content));
        expect(sha256(await readAll(await driver.reader("/r", 12_345)))).toBe(
          sha256(content.slice(12_345)),
        );
        expect((await readAll(await driver.reader("/r", 100_000))).byteLength).toBe(0);
      });

      test("an offset past the end is InvalidOffsetError; a missing file PathNotFoundError", async () => {
        await driver.putContent("/r", "abc");
        await expect(driver.reader("/r", 4)).rejects.toBeInstanceOf(InvalidOffsetError);
        await expect(driver.reader("/missing", 0)).rejects.toBeInstanceOf(PathNotFoundError);
      });
    });

    describe("writer", () => {
      test("writes a new file in chunks; size counts the bytes", async () => {
        const writer = await driver.writer("/w/new", false);
        await writer.write(text("hello "));
        await writer.write(text("world"));
        expect(writer.size).toBe(11);
        await writer.commit();
        await writer.close();
        expect(decode(await driver.getContent("/w/new"))).toBe("hello world");
      });

      test("append continues where an earlier writer stopped", async () => {
        const first = await driver.writer("/w/append", false);
        await first.write(text("one,"));
        await first.commit();
        await first.close();
        const second = await driver.writer("/w/append", true);
        expect(second.size).toBe(4);
        await second.write(text("two"));
        expect(second.size).toBe(7);
        await second.commit();
        await second.close();
        expect(decode(await driver.getContent("/w/append"))).toBe("one,two");
      });

      test("append: false truncates an existing file", async () => {
        await driver.putContent("/w/trunc", "old content");
        const writer = await driver.writer("/w/trunc", false);
        expect(writer.size).toBe(0);
        await writer.write(text("new"));
        await writer.commit();
        await writer.close();
        expect(decode(await driver.getContent("/w/trunc"))).toBe("new");
      });

      test("flushed bytes are visible to readers while the writer stays open", async () => {
        const writer = await driver.writer("/w/tail", false);
        await writer.write(text("first part"));
        await writer.flush();
        expect(decode(await driver.getContent("/w/tail"))).toBe("first part");
        await writer.write(text(", second"));
        await writer.flush();
        expect(decode(await readAll(await driver.reader("/w/tail", 10)))).toBe(", second");
        await writer.commit();
        await writer.close();
      });

      test("cancel removes the file, earlier content included", async () => {
        await driver.putContent("/w/cancel", "before");
        const writer = await driver.writer("/w/cancel", true);
        await writer.write(text(" after"));
        await writer.cancel();
        await expect(driver.stat("/w/cancel")).rejects.toBeInstanceOf(PathNotFoundError);
      });

      test("writing after close is refused", async () => {
        const writer = await driver.writer("/w/closed", false);
        await writer.commit();
        await writer.close();
        await expect(writer.write(text("late"))).rejects.toThrow();
      });

      test("a multi-MiB stream written in small chunks reads back identical", async () => {
        const writer = await driver.writer("/w/big", false);
        const hasher = new Bun.CryptoHasher("sha256");
        for (let i = 0; i < 200; i++) {
          const chunk = pattern(64 * 1024, i);
          hasher.update(chunk);
          await writer.write(chunk);
        }
        await writer.commit();
        await writer.close();
        expect(writer.size).toBe(200 * 64 * 1024);
        const stream = await driver.reader("/w/big", 0);
        const check = new Bun.CryptoHasher("sha256");
        for await (const chunk of stream) check.update(chunk);
        expect(check.digest("hex")).toBe(hasher.digest("hex"));
      });
    });

    describe("walk", () => {
      test("visits everything depth first in lexical order", async () => {
        for (const path of ["/w/b/2", "/w/a/1", "/w/a/0/x", "/w/c"])
          await driver.putContent(path, "x");
        const seen: string[] = [];
        await driver.walk("/w", (info) => {
          seen.push(`${info.path}${info.isDir ? "/" : ""}`);
          return undefined;
        });
        expect(seen).toEqual(["/w/a/", "/w/a/0/", "/w/a/0/x", "/w/a/1", "/w/b/", "/w/b/2", "/w/c"]);
      });

      test("SkipDir leaves a directory's children out", async () => {
        for (const path of ["/s/skip/inner", "/s/keep/inner"]) await driver.putContent(path, "x");
        const seen: string[] = [];
        await driver.walk("/s", (info) => {
          seen.push(info.path);
          return info.path === "/s/skip" ? SkipDir : undefined;
        });
        expect(seen).toEqual(["/s/keep", "/s/keep/inner", "/s/skip"]);
      });

      test("walking a missing directory is PathNotFoundError", async () => {
        await expect(driver.walk("/none", () => undefined)).rejects.toBeInstanceOf(
          PathNotFoundError,
        );
      });
    });

    describe("blob", () => {
      test("a Blob view with size, content and slices", async () => {
        const content = pattern(5000, 1);
        await driver.putContent("/b", content);
        const blob = await driver.blob("/b");
        expect(blob.size).toBe(5000);
        expect(sha256(new Uint8Array(await blob.arrayBuffer()))).toBe(sha256(content));
        expect(new Uint8Array(await blob.slice(10, 20).arrayBuffer())).toEqual(
          content.slice(10, 20) as Uint8Array<ArrayBuffer>,
        );
        await expect(driver.blob("/missing")).rejects.toBeInstanceOf(PathNotFoundError);
      });
    });

    describe("path validation", () => {
      const invalid = [
        "",
        "relative/path",
        "/a/../b",
        "/..",
        "/a/.",
        "/a//b",
        "/a/b/",
        "/a b",
        "/a\u0000b",
        "/a/%2e%2e",
        "//",
      ];
      test.each(invalid)("%p is refused by every operation", async (path) => {
        const calls = [
          () => driver.getContent(path),
          () => driver.putContent(path, "x"),
          () => driver.reader(path, 0),
          () => driver.writer(path, false),
          () => driver.stat(path),
          () => driver.list(path),
          () => driver.move(path, "/ok"),
          () => driver.move("/ok", path),
          () => driver.delete(path),
          () => driver.walk(path, () => undefined),
          () => driver.blob(path),
        ];
        await driver.putContent("/ok", "x");
        for (const call of calls) await expect(call()).rejects.toBeInstanceOf(InvalidPathError);
      });
    });
  });
}
