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
const sha256 = (data: Uint8Array) => new Bun.CryptoHasher("sha256").update(data).digest("hex");

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Deterministic bytes that differ by seed and cover every byte value. */
function pattern(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed + (i >> 8)) & 0xff;
  return out;
}

/** Every entry of a walk, directories marked with a trailing slash. */
async function walked(driver: StorageDriver, path: string): Promise<string[]> {
  const seen: string[] = [];
  await driver.walk(path, (info) => {
    seen.push(info.isDir ? `${info.path}/` : info.path);
    return undefined;
  });
  return seen;
}

async function putAll(driver: StorageDriver, paths: string[], content = "x"): Promise<void> {
  for (const path of paths) await driver.putContent(path, content);
}

/**
 * The behaviour every StorageDriver must show, through the interface only (Distribution's
 * driver testsuites idea): each implementation's test file calls this with a factory for a
 * fresh, empty driver. Whether a directory survives once emptied is left to the backend.
 */
export interface SuiteOptions {
  /**
   * The backend replaces and lists objects atomically under concurrent writes. True for the
   * filesystem, memory and real S3; false for s3rver, the S3 peer CI runs, which writes its
   * files in place (it then answers InternalError mid-write).
   */
  readonly atomicUnderConcurrentWrites?: boolean;
}

export function driverSuite(
  name: string,
  makeDriver: () => Promise<DriverFixture>,
  options: SuiteOptions = {},
): void {
  const atomic = options.atomicUnderConcurrentWrites ?? true;
  describe(`${name} driver`, () => {
    let fixture: DriverFixture;
    let driver: StorageDriver;

    beforeEach(async () => {
      fixture = await makeDriver();
      driver = fixture.driver;
    });
    afterEach(() => fixture.cleanup());

    describe("putContent and getContent", () => {
      test("round-trip binary, text and empty content", async () => {
        const binary = pattern(70_000, 3);
        await driver.putContent("/a/b/binary", binary);
        await driver.putContent("/a/b/text", "hello, wörld");
        await driver.putContent("/a/empty", new Uint8Array(0));
        expect(sha256(await driver.getContent("/a/b/binary"))).toBe(sha256(binary));
        expect(decode(await driver.getContent("/a/b/text"))).toBe("hello, wörld");
        expect((await driver.getContent("/a/empty")).byteLength).toBe(0);
      });

      test("a put replaces longer content with shorter", async () => {
        await driver.putContent("/f", "first, longer value");
        await driver.putContent("/f", "second");
        expect(decode(await driver.getContent("/f"))).toBe("second");
      });

      test("a put that need not be durable stores the same, in new folders and over old files", async () => {
        const quick = { durable: false };
        await driver.putContent("/fresh/folder/file", "first, longer value", quick);
        expect(decode(await driver.getContent("/fresh/folder/file"))).toBe("first, longer value");
        await driver.putContent("/fresh/folder/file", "second", quick);
        await driver.putContent("/fresh/folder/other", new Uint8Array(0), quick);
        expect(decode(await driver.getContent("/fresh/folder/file"))).toBe("second");
        expect(await driver.list("/fresh/folder")).toEqual([
          "/fresh/folder/file",
          "/fresh/folder/other",
        ]);
      });

      test("creates parent directories as needed", async () => {
        await driver.putContent("/deep/er/still/file", "x");
        expect((await driver.stat("/deep/er")).isDir).toBe(true);
        expect(await driver.list("/deep/er/still")).toEqual(["/deep/er/still/file"]);
      });

      test("stored bytes are the driver's own: later changes to either copy do not leak", async () => {
        const input = text("original");
        await driver.putContent("/own", input);
        input.fill(0);
        const first = await driver.getContent("/own");
        first.fill(0);
        expect(decode(await driver.getContent("/own"))).toBe("original");
      });

      test("a missing file, a missing parent or a directory is PathNotFoundError", async () => {
        await driver.putContent("/dir/file", "x");
        for (const path of ["/missing", "/missing/file", "/dir", "/dir/file/below"])
          await expect(driver.getContent(path)).rejects.toBeInstanceOf(PathNotFoundError);
      });
    });

    describe("stat", () => {
      test("a file has its size and a modification time", async () => {
        const before = Date.now();
        await driver.putContent("/dir/file", "12345");
        const info = await driver.stat("/dir/file");
        expect(info).toMatchObject({ path: "/dir/file", size: 5, isDir: false });
        expect(info.modTime).toBeInstanceOf(Date);
        // Filesystems round timestamps; a second of slack still catches a wrong epoch.
        expect(info.modTime.getTime()).toBeGreaterThan(before - 1000);
      });

      test("a directory is reported as one", async () => {
        await driver.putContent("/dir/sub/file", "12345");
        expect(await driver.stat("/dir/sub")).toMatchObject({ path: "/dir/sub", isDir: true });
        expect((await driver.stat("/")).isDir).toBe(true);
      });

      test("a missing path, or one below a file, is PathNotFoundError", async () => {
        await driver.putContent("/file", "x");
        await expect(driver.stat("/nothing")).rejects.toBeInstanceOf(PathNotFoundError);
        await expect(driver.stat("/file/below")).rejects.toBeInstanceOf(PathNotFoundError);
      });
    });

    describe("list", () => {
      test("full paths of direct children, sorted, at any depth", async () => {
        await putAll(driver, ["/l/c", "/l/a/deep/x", "/l/B", "/l/b", "/l/a/deep/y", "/other"]);
        expect(await driver.list("/l")).toEqual(["/l/B", "/l/a", "/l/b", "/l/c"]);
        expect(await driver.list("/l/a/deep")).toEqual(["/l/a/deep/x", "/l/a/deep/y"]);
        expect(await driver.list("/")).toEqual(["/l", "/other"]);
      });

      test("a missing directory or a file is PathNotFoundError", async () => {
        await driver.putContent("/file", "x");
        await expect(driver.list("/nope")).rejects.toBeInstanceOf(PathNotFoundError);
        await expect(driver.list("/file")).rejects.toBeInstanceOf(PathNotFoundError);
      });
    });

    describe("move", () => {
      test("into a new directory: the source is gone, its siblings stay", async () => {
        await putAll(driver, ["/src/one", "/src/sibling"]);
        await driver.putContent("/src/one", "one");
        await driver.move("/src/one", "/dst/deep/one");
        expect(decode(await driver.getContent("/dst/deep/one"))).toBe("one");
        await expect(driver.stat("/src/one")).rejects.toBeInstanceOf(PathNotFoundError);
        expect(decode(await driver.getContent("/src/sibling"))).toBe("x");
      });

      test("over an existing file replaces it", async () => {
        await driver.putContent("/src/two", "two");
        await driver.putContent("/dst/file", "old and longer");
        await driver.move("/src/two", "/dst/file");
        expect(decode(await driver.getContent("/dst/file"))).toBe("two");
        await expect(driver.stat("/src/two")).rejects.toBeInstanceOf(PathNotFoundError);
      });

      test("a missing source is PathNotFoundError and creates nothing", async () => {
        await expect(driver.move("/missing", "/elsewhere/file")).rejects.toBeInstanceOf(
          PathNotFoundError,
        );
        await expect(driver.stat("/elsewhere/file")).rejects.toBeInstanceOf(PathNotFoundError);
      });
    });

    describe("delete", () => {
      test("a file, leaving its siblings", async () => {
        await putAll(driver, ["/t/a", "/t/b"]);
        await driver.delete("/t/a");
        await expect(driver.stat("/t/a")).rejects.toBeInstanceOf(PathNotFoundError);
        expect(await driver.list("/t")).toEqual(["/t/b"]);
      });

      test("a whole tree, leaving what is beside it", async () => {
        await putAll(driver, ["/t/a", "/t/sub/b", "/t/sub/deeper/c", "/tt", "/keep/t"]);
        await driver.delete("/t");
        for (const path of ["/t", "/t/a", "/t/sub/deeper/c"])
          await expect(driver.stat(path)).rejects.toBeInstanceOf(PathNotFoundError);
        await expect(driver.list("/t")).rejects.toBeInstanceOf(PathNotFoundError);
        expect(await driver.list("/")).toEqual(["/keep", "/tt"]);
      });

      test("a missing path is PathNotFoundError", async () => {
        await expect(driver.delete("/t")).rejects.toBeInstanceOf(PathNotFoundError);
        await driver.putContent("/t", "x");
        await driver.delete("/t");
        await expect(driver.delete("/t")).rejects.toBeInstanceOf(PathNotFoundError);
      });
    });

    describe("reader", () => {
      const content = pattern(300_000, 9);

      test("streams from the start, the middle and the end", async () => {
        await driver.putContent("/r", content);
        expect(sha256(await readAll(await driver.reader("/r")))).toBe(sha256(content));
        expect(sha256(await readAll(await driver.reader("/r", 0)))).toBe(sha256(content));
        expect(sha256(await readAll(await driver.reader("/r", 123_457)))).toBe(
          sha256(content.subarray(123_457)),
        );
        expect(await readAll(await driver.reader("/r", content.byteLength - 1))).toEqual(
          content.slice(-1) as Uint8Array<ArrayBuffer>,
        );
        expect((await readAll(await driver.reader("/r", content.byteLength))).byteLength).toBe(0);
      });

      test("an offset past the end or before the start is InvalidOffsetError", async () => {
        await driver.putContent("/r", "abc");
        await expect(driver.reader("/r", 4)).rejects.toBeInstanceOf(InvalidOffsetError);
        await expect(driver.reader("/r", -1)).rejects.toBeInstanceOf(InvalidOffsetError);
        await driver.putContent("/empty", "");
        await expect(driver.reader("/empty", 1)).rejects.toBeInstanceOf(InvalidOffsetError);
        expect((await readAll(await driver.reader("/empty", 0))).byteLength).toBe(0);
      });

      test("a missing file or a directory is PathNotFoundError", async () => {
        await driver.putContent("/dir/file", "x");
        await expect(driver.reader("/missing", 0)).rejects.toBeInstanceOf(PathNotFoundError);
        await expect(driver.reader("/dir", 0)).rejects.toBeInstanceOf(PathNotFoundError);
      });

      test("a reader cancelled after its first chunk leaves the file usable", async () => {
        await driver.putContent("/r", content);
        const stream = await driver.reader("/r", 0);
        const reader = stream.getReader();
        const first = await reader.read();
        expect(first.done).toBe(false);
        await reader.cancel();
        await driver.delete("/r");
        await driver.putContent("/r", "again");
        expect(decode(await driver.getContent("/r"))).toBe("again");
      });
    });

    describe("writer", () => {
      async function writeAll(path: string, append: boolean, ...chunks: string[]) {
        const writer = await driver.writer(path, append);
        for (const chunk of chunks) await writer.write(text(chunk));
        await writer.commit();
        await writer.close();
        return writer;
      }

      test("writes a new file in chunks, creating its parents; size counts the bytes", async () => {
        const writer = await driver.writer("/w/new/file", false);
        expect(writer.size).toBe(0);
        await writer.write(text("hello "));
        await writer.write(text("world"));
        expect(writer.size).toBe(11);
        await writer.commit();
        await writer.close();
        expect(decode(await driver.getContent("/w/new/file"))).toBe("hello world");
        expect((await driver.stat("/w/new/file")).size).toBe(11);
      });

      test("a second writer appends where the first stopped", async () => {
        await writeAll("/w/append", false, "one,");
        const second = await driver.writer("/w/append", true);
        expect(second.size).toBe(4);
        await second.write(text("two"));
        expect(second.size).toBe(7);
        await second.commit();
        await second.close();
        const third = await writeAll("/w/append", true, ",three");
        expect(third.size).toBe(13);
        expect(decode(await driver.getContent("/w/append"))).toBe("one,two,three");
      });

      test("append continues a file written by putContent, and creates a missing one", async () => {
        await driver.putContent("/w/put", "abc");
        expect((await writeAll("/w/put", true, "def")).size).toBe(6);
        expect(decode(await driver.getContent("/w/put"))).toBe("abcdef");
        expect((await writeAll("/w/fresh", true, "new")).size).toBe(3);
        expect(decode(await driver.getContent("/w/fresh"))).toBe("new");
      });

      test("append: false truncates an existing file", async () => {
        await driver.putContent("/w/trunc", "old content");
        const writer = await writeAll("/w/trunc", false, "new");
        expect(writer.size).toBe(3);
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
        const appending = await driver.writer("/w/cancel", true);
        await appending.write(text(" after"));
        await appending.cancel();
        await expect(driver.stat("/w/cancel")).rejects.toBeInstanceOf(PathNotFoundError);
        const fresh = await driver.writer("/w/cancel", false);
        await fresh.write(text("data"));
        await fresh.flush();
        await fresh.cancel();
        await expect(driver.stat("/w/cancel")).rejects.toBeInstanceOf(PathNotFoundError);
      });

      test("cancel does not remove a file that putContent put in its place", async () => {
        const writer = await driver.writer("/w/replaced", false);
        await writer.write(text("stale"));
        await driver.putContent("/w/replaced", "fresh");
        await writer.cancel();
        expect(decode(await driver.getContent("/w/replaced"))).toBe("fresh");
      });

      test("write, flush and commit after commit, close or cancel are refused", async () => {
        const committed = await driver.writer("/w/committed", false);
        await committed.commit();
        await expect(committed.write(text("late"))).rejects.toThrow();
        await expect(committed.commit()).rejects.toThrow();
        await committed.close();
        await expect(committed.write(text("late"))).rejects.toThrow();
        await expect(committed.flush()).rejects.toThrow();
        const cancelled = await driver.writer("/w/cancelled", false);
        await cancelled.cancel();
        await expect(cancelled.write(text("late"))).rejects.toThrow();
        await expect(cancelled.commit()).rejects.toThrow();
        await expect(driver.stat("/w/cancelled")).rejects.toBeInstanceOf(PathNotFoundError);
        expect((await driver.getContent("/w/committed")).byteLength).toBe(0);
      });

      test("a caller may reuse its chunk buffer once write returns", async () => {
        const writer = await driver.writer("/w/reuse", false);
        const chunk = new Uint8Array(1000);
        for (let i = 0; i < 5; i++) {
          chunk.fill(i + 1);
          await writer.write(chunk);
        }
        await writer.commit();
        await writer.close();
        const content = await driver.getContent("/w/reuse");
        expect([0, 1000, 2000, 3000, 4999].map((i) => content[i])).toEqual([1, 2, 3, 4, 5]);
      });

      test("a multi-MiB stream written in uneven chunks reads back identical", async () => {
        const writer = await driver.writer("/w/big", false);
        const hasher = new Bun.CryptoHasher("sha256");
        let total = 0;
        // Tiny, 64 KiB (a request body's) and larger (an upstream fetch's) chunks, interleaved.
        const sizes = (i: number) =>
          i % 13 === 0 ? 1 + i : i % 7 === 0 ? 100_000 + i * 997 : 64 * 1024;
        for (let i = 0; i < 260; i++) {
          const chunk = pattern(sizes(i), i);
          hasher.update(chunk);
          total += chunk.byteLength;
          await writer.write(chunk);
        }
        await writer.commit();
        await writer.close();
        expect(writer.size).toBe(total);
        expect((await driver.stat("/w/big")).size).toBe(total);
        const check = new Bun.CryptoHasher("sha256");
        for await (const chunk of await driver.reader("/w/big", 0)) check.update(chunk);
        expect(check.digest("hex")).toBe(hasher.digest("hex"));
      });
    });

    describe("walk", () => {
      test("visits everything below a path depth first in lexical order", async () => {
        await putAll(driver, ["/w/b/2", "/w/a/1", "/w/a/0/x", "/w/c", "/w/A", "/outside"]);
        expect(await walked(driver, "/w")).toEqual([
          "/w/A",
          "/w/a/",
          "/w/a/0/",
          "/w/a/0/x",
          "/w/a/1",
          "/w/b/",
          "/w/b/2",
          "/w/c",
        ]);
        expect(await walked(driver, "/")).toEqual([
          "/outside",
          "/w/",
          "/w/A",
          "/w/a/",
          "/w/a/0/",
          "/w/a/0/x",
          "/w/a/1",
          "/w/b/",
          "/w/b/2",
          "/w/c",
        ]);
      });

      test("hands each file's size to the callback", async () => {
        await driver.putContent("/s/three", "abc");
        const sizes: number[] = [];
        await driver.walk("/s", (info) => {
          sizes.push(info.size);
          return undefined;
        });
        expect(sizes).toEqual([3]);
      });

      test("SkipDir leaves a directory's children out", async () => {
        await putAll(driver, ["/s/skip/inner", "/s/skip/deeper/inner", "/s/keep/inner"]);
        const seen: string[] = [];
        await driver.walk("/s", async (info) => {
          seen.push(info.path);
          return info.path === "/s/skip" ? SkipDir : undefined;
        });
        expect(seen).toEqual(["/s/keep", "/s/keep/inner", "/s/skip"]);
      });

      test("a callback may delete what it visits; later entries are still visited", async () => {
        await putAll(driver, ["/d/a/1", "/d/b/1", "/d/c/1"]);
        const seen: string[] = [];
        await driver.walk("/d", async (info) => {
          seen.push(info.path);
          if (info.path === "/d/b") await driver.delete("/d/b");
          return undefined;
        });
        expect(seen).toContain("/d/c/1");
        await expect(driver.stat("/d/b")).rejects.toBeInstanceOf(PathNotFoundError);
      });

      test("an error thrown by the callback ends the walk", async () => {
        await putAll(driver, ["/e/a", "/e/b"]);
        const failure = new PathNotFoundError("/elsewhere", "callback");
        const walking = driver.walk("/e", () => {
          throw failure;
        });
        await expect(walking).rejects.toBe(failure);
      });

      test("walking a missing directory is PathNotFoundError", async () => {
        await expect(walked(driver, "/none")).rejects.toBeInstanceOf(PathNotFoundError);
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
        expect(sha256(await readAll(blob.slice(4000).stream()))).toBe(
          sha256(content.subarray(4000)),
        );
      });

      test("a missing file or a directory is PathNotFoundError", async () => {
        await driver.putContent("/dir/file", "x");
        await expect(driver.blob("/missing")).rejects.toBeInstanceOf(PathNotFoundError);
        await expect(driver.blob("/dir")).rejects.toBeInstanceOf(PathNotFoundError);
      });
    });

    describe("path validation", () => {
      const invalid = [
        "",
        "..",
        ".",
        "a/b",
        "relative/path",
        "/..",
        "/.",
        "/a/../b",
        "/a/..",
        "/a/./b",
        "/a//b",
        "/a/b/",
        "//",
        "/a b",
        "/a\u0000b",
        "/a\\b",
        "/a/%2e%2e",
        "/é",
      ];
      const everyOperation = (driver: StorageDriver, path: string) => [
        () => driver.getContent(path),
        () => driver.putContent(path, "x"),
        () => driver.reader(path, 0),
        () => driver.writer(path, false),
        () => driver.writer(path, true),
        () => driver.stat(path),
        () => driver.list(path),
        () => driver.move(path, "/ok"),
        () => driver.move("/ok", path),
        () => driver.delete(path),
        () => driver.walk(path, () => undefined),
        () => driver.blob(path),
      ];

      test.each(invalid)(
        "%p is refused by every operation, which changes nothing",
        async (path) => {
          await driver.putContent("/ok", "x");
          for (const call of everyOperation(driver, path))
            await expect(call()).rejects.toBeInstanceOf(InvalidPathError);
          expect(await driver.list("/")).toEqual(["/ok"]);
          expect(decode(await driver.getContent("/ok"))).toBe("x");
        },
      );

      test("the root cannot be written to or moved", async () => {
        await driver.putContent("/ok", "x");
        await expect(driver.putContent("/", "x")).rejects.toBeInstanceOf(InvalidPathError);
        await expect(driver.writer("/", false)).rejects.toBeInstanceOf(InvalidPathError);
        await expect(driver.move("/ok", "/")).rejects.toBeInstanceOf(InvalidPathError);
        await expect(driver.move("/", "/moved")).rejects.toBeInstanceOf(InvalidPathError);
        expect(await driver.list("/")).toEqual(["/ok"]);
      });

      test("every allowed character works, dots inside names included", async () => {
        const path = "/AZaz09._-/.hidden/..dots../file.tar.gz";
        await driver.putContent(path, "x");
        expect(decode(await driver.getContent(path))).toBe("x");
        expect(await driver.list("/AZaz09._-")).toEqual(["/AZaz09._-/.hidden"]);
      });
    });

    describe("concurrency", () => {
      test.skipIf(!atomic)("concurrent puts to one path leave one complete value", async () => {
        const values = Array.from({ length: 10 }, (_, i) => String(i).repeat(10_000 + i));
        await Promise.all(values.map((value) => driver.putContent("/race", value)));
        expect(values).toContain(decode(await driver.getContent("/race")));
        expect(await driver.list("/")).toEqual(["/race"]);
      });

      test.skipIf(!atomic)("readers never see partial content while puts replace it", async () => {
        const a = "a".repeat(200_000);
        const b = "b".repeat(300_000);
        await driver.putContent("/swap", a);
        const writes: Promise<void>[] = [];
        const reads: Promise<string>[] = [];
        for (let i = 0; i < 20; i++) {
          writes.push(driver.putContent("/swap", i % 2 ? a : b));
          reads.push(driver.getContent("/swap").then(decode));
          reads.push(driver.reader("/swap").then(readAll).then(decode));
        }
        await Promise.all(writes);
        for (const value of await Promise.all(reads)) expect([a, b]).toContain(value);
      });

      test.skipIf(!atomic)("listings never show a half-written or temporary entry", async () => {
        await driver.putContent("/c/final", "x");
        const writes: Promise<void>[] = [];
        const listings: Promise<string[]>[] = [];
        for (let i = 0; i < 20; i++) {
          writes.push(driver.putContent("/c/new", "y".repeat(100_000)));
          listings.push(driver.list("/c"));
        }
        await Promise.all(writes);
        for (const listing of await Promise.all(listings))
          for (const path of listing) expect(["/c/final", "/c/new"]).toContain(path);
        expect(await driver.list("/c")).toEqual(["/c/final", "/c/new"]);
      });

      test("concurrent puts into one new tree all land", async () => {
        const paths = Array.from({ length: 30 }, (_, i) => `/tree/${i % 3}/sub/${i}`);
        await Promise.all(paths.map((path) => driver.putContent(path, path)));
        for (const path of paths) expect(decode(await driver.getContent(path))).toBe(path);
      });
    });
  });
}
