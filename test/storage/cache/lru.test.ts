import { expect, test } from "bun:test";
import { LRUCache } from "../../../src/storage/cache/lru.ts";

test("forgets the least recently used entry first; a read counts as a use", () => {
  const lru = new LRUCache<string, number>(2);
  lru.set("a", 1);
  lru.set("b", 2);
  expect(lru.get("a")).toBe(1);
  lru.set("c", 3);
  expect(lru.get("b")).toBeUndefined();
  expect(lru.get("a")).toBe(1);
  expect(lru.get("c")).toBe(3);
  expect(lru.size).toBe(2);
});

test("overwriting a key refreshes it without growing", () => {
  const lru = new LRUCache<string, number>(2);
  lru.set("a", 1);
  lru.set("b", 2);
  lru.set("a", 10);
  lru.set("c", 3);
  expect(lru.size).toBe(2);
  expect(lru.get("a")).toBe(10);
  expect(lru.get("b")).toBeUndefined();
});

test("delete reports whether the key was there", () => {
  const lru = new LRUCache<string, number>(1);
  lru.set("a", 1);
  expect(lru.delete("a")).toBe(true);
  expect(lru.delete("a")).toBe(false);
  expect(lru.size).toBe(0);
});

test("the capacity must be a positive integer", () => {
  expect(() => new LRUCache(0)).toThrow(/positive integer/);
  expect(() => new LRUCache(1.5)).toThrow(/positive integer/);
  expect(new LRUCache(1).capacity).toBe(1);
});
