import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type {
  BlobDescriptorServiceProvider,
  Descriptor,
} from "../../../src/registry/descriptor.ts";
import { type Digest, digestOf } from "../../../src/registry/digest.ts";

export interface CacheFixture {
  readonly provider: BlobDescriptorServiceProvider;
  /** Requests the cache has sent to its server so far, where that can be observed. */
  readonly requestsSent?: () => number;
  cleanup(): Promise<void>;
}

const descriptorOf = (
  content: string,
  mediaType = "application/octet-stream",
  algorithm: "sha256" | "sha512" = "sha256",
): Descriptor => ({
  digest: digestOf(content, algorithm),
  size: content.length,
  mediaType,
});

const code = async (promise: Promise<unknown>): Promise<string | undefined> =>
  promise.then(
    () => undefined,
    (err: { code?: string; message?: string }) => err.code ?? err.message,
  );

/**
 * What every blob descriptor cache must do (Distribution's cachecheck suite, as behaviour):
 * each provider's test file calls this with a factory for an empty cache.
 */
export function cacheSuite(name: string, makeProvider: () => Promise<CacheFixture>): void {
  describe(`${name} blob descriptor cache`, () => {
    let fixture: CacheFixture;
    let provider: BlobDescriptorServiceProvider;

    beforeEach(async () => {
      fixture = await makeProvider();
      provider = fixture.provider;
    });
    afterEach(() => fixture.cleanup());

    test("bad input is refused before any lookup", async () => {
      const good = descriptorOf("x");
      const sentBefore = fixture.requestsSent?.();
      expect(() => provider.repositoryScoped("")).toThrow(/repository name/);
      expect(() => provider.repositoryScoped("a::blobs")).toThrow(/repository name/);
      expect(() => provider.repositoryScoped("UPPER/case")).toThrow(/repository name/);
      expect(await code(provider.stat("" as Digest))).toBe("DIGEST_INVALID");
      expect(await code(provider.stat("sha256:abc" as Digest))).toBe("DIGEST_INVALID");
      const scoped = provider.repositoryScoped("foo/bar");
      expect(await code(scoped.stat("nope" as Digest))).toBe("DIGEST_INVALID");
      expect(await code(scoped.setDescriptor("" as Digest, good))).toBe("DIGEST_INVALID");
      expect(
        await code(scoped.setDescriptor(good.digest, { ...good, digest: "" as Digest })),
      ).toMatch(/without digest/);
      expect(await code(scoped.setDescriptor(good.digest, { ...good, size: -1 }))).toMatch(/size/);
      expect(await code(scoped.setDescriptor(good.digest, { ...good, size: 1.5 }))).toMatch(/size/);
      expect(await code(scoped.setDescriptor(good.digest, { ...good, size: Number.NaN }))).toMatch(
        /size/,
      );
      expect(
        await code(scoped.setDescriptor(good.digest, { ...good, digest: "sha256:zz" as Digest })),
      ).toMatch(/malformed/);
      expect(await code(scoped.setDescriptor(good.digest, { ...good, mediaType: "" }))).toMatch(
        /media type/,
      );
      expect(await code(scoped.clear("bad" as Digest))).toBe("DIGEST_INVALID");
      expect(await code(provider.clear("" as Digest))).toBe("DIGEST_INVALID");
      expect(fixture.requestsSent?.()).toBe(sentBefore);
      expect(await code(provider.stat(good.digest))).toBe("BLOB_UNKNOWN");
    });

    test("an unknown digest is BLOB_UNKNOWN", async () => {
      const digest = digestOf("unknown");
      expect(await code(provider.stat(digest))).toBe("BLOB_UNKNOWN");
      expect(await code(provider.repositoryScoped("foo").stat(digest))).toBe("BLOB_UNKNOWN");
    });

    test("set then stat returns the descriptor, in the repository and globally", async () => {
      const descriptor = descriptorOf("content", "application/vnd.example+json");
      const scoped = provider.repositoryScoped("foo/bar");
      await scoped.setDescriptor(descriptor.digest, descriptor);
      expect(await scoped.stat(descriptor.digest)).toEqual(descriptor);
      expect(await provider.stat(descriptor.digest)).toEqual(descriptor);
    });

    test("a digest set in one repository is unknown in another, known globally", async () => {
      const descriptor = descriptorOf("scoped");
      await provider.repositoryScoped("one").setDescriptor(descriptor.digest, descriptor);
      expect(await code(provider.repositoryScoped("two").stat(descriptor.digest))).toBe(
        "BLOB_UNKNOWN",
      );
      expect(await provider.stat(descriptor.digest)).toEqual(descriptor);
      await provider.repositoryScoped("two").setDescriptor(descriptor.digest, descriptor);
      expect(await provider.repositoryScoped("two").stat(descriptor.digest)).toEqual(descriptor);
    });

    test("each repository keeps its own media type; the global one is the first set", async () => {
      const first = descriptorOf("typed", "application/first");
      const second = { ...first, mediaType: "application/second" };
      await provider.repositoryScoped("a").setDescriptor(first.digest, first);
      await provider.repositoryScoped("b").setDescriptor(second.digest, second);
      expect((await provider.repositoryScoped("a").stat(first.digest)).mediaType).toBe(
        "application/first",
      );
      expect((await provider.repositoryScoped("b").stat(first.digest)).mediaType).toBe(
        "application/second",
      );
      expect((await provider.stat(first.digest)).mediaType).toBe("application/first");
    });

    test("setting again in the same repository replaces its media type only", async () => {
      const original = descriptorOf("retyped", "application/octet-stream");
      const retyped = { ...original, mediaType: "application/json" };
      const scoped = provider.repositoryScoped("foo/bar");
      await scoped.setDescriptor(original.digest, original);
      await scoped.setDescriptor(original.digest, retyped);
      expect(await scoped.stat(original.digest)).toEqual(retyped);
      expect(await provider.stat(original.digest)).toEqual(original);
    });

    test("clear in a repository removes it there only", async () => {
      const descriptor = descriptorOf("clear me");
      await provider.repositoryScoped("a").setDescriptor(descriptor.digest, descriptor);
      await provider.repositoryScoped("b").setDescriptor(descriptor.digest, descriptor);
      await provider.repositoryScoped("a").clear(descriptor.digest);
      expect(await code(provider.repositoryScoped("a").stat(descriptor.digest))).toBe(
        "BLOB_UNKNOWN",
      );
      expect(await provider.repositoryScoped("b").stat(descriptor.digest)).toEqual(descriptor);
      expect(await code(provider.repositoryScoped("a").clear(descriptor.digest))).toBe(
        "BLOB_UNKNOWN",
      );
      expect(await provider.stat(descriptor.digest)).toEqual(descriptor);
    });

    test("a cleared digest can be set again in the same repository", async () => {
      const first = descriptorOf("again", "application/first");
      const second = { ...first, mediaType: "application/second" };
      const scoped = provider.repositoryScoped("again");
      await scoped.setDescriptor(first.digest, first);
      await scoped.clear(first.digest);
      await scoped.setDescriptor(second.digest, second);
      expect(await scoped.stat(first.digest)).toEqual(second);
    });

    test("global clear forgets the descriptor everywhere", async () => {
      const descriptor = descriptorOf("global clear");
      await provider.repositoryScoped("member").setDescriptor(descriptor.digest, descriptor);
      await provider.clear(descriptor.digest);
      expect(await code(provider.stat(descriptor.digest))).toBe("BLOB_UNKNOWN");
      // Membership alone answers nothing: the descriptor is gone.
      expect(await code(provider.repositoryScoped("member").stat(descriptor.digest))).toBe(
        "BLOB_UNKNOWN",
      );
      expect(await code(provider.clear(descriptor.digest))).toBe("BLOB_UNKNOWN");
    });

    test("a descriptor keyed by another algorithm is stored under both digests", async () => {
      const canonical = descriptorOf("two algorithms");
      const alias = digestOf("two algorithms", "sha512");
      const scoped = provider.repositoryScoped("alg");
      await scoped.setDescriptor(alias, canonical);
      expect(await scoped.stat(alias)).toEqual(canonical);
      expect(await scoped.stat(canonical.digest)).toEqual(canonical);
      expect(await provider.stat(alias)).toEqual(canonical);
      expect(await provider.stat(canonical.digest)).toEqual(canonical);
      expect(await code(provider.repositoryScoped("other").stat(alias))).toBe("BLOB_UNKNOWN");
    });

    test("a key and descriptor with the same algorithm but different digests are refused", async () => {
      const descriptor = descriptorOf("one");
      expect(
        await code(provider.repositoryScoped("m").setDescriptor(digestOf("two"), descriptor)),
      ).toMatch(/differ/);
    });
  });
}
