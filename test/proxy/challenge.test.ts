import { describe, expect, test } from "bun:test";
import { parseChallenges } from "../../src/proxy/challenge.ts";
import { UpstreamRouter } from "../../src/proxy/routing.ts";
import { TokenSource } from "../../src/proxy/tokens.ts";

describe("parseChallenges", () => {
  test("Bearer with realm, service and scope", () => {
    expect(
      parseChallenges(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      ),
    ).toEqual([
      {
        scheme: "bearer",
        params: {
          realm: "https://auth.docker.io/token",
          service: "registry.docker.io",
          scope: "repository:library/alpine:pull",
        },
      },
    ]);
  });

  test("Basic, unquoted values, escapes and several challenges", () => {
    expect(
      parseChallenges('Basic realm="Registry \\"x\\"", Bearer realm=https://a/token,service=svc'),
    ).toEqual([
      { scheme: "basic", params: { realm: 'Registry "x"' } },
      { scheme: "bearer", params: { realm: "https://a/token", service: "svc" } },
    ]);
  });

  test("nothing to parse", () => {
    expect(parseChallenges(null)).toEqual([]);
    expect(parseChallenges("")).toEqual([]);
  });
});

describe("TokenSource", () => {
  test("caches tokens per scope until expires_in, then asks again", async () => {
    let now = 0;
    const asked: string[] = [];
    const fakeFetch = (async (input: string | URL | Request) => {
      asked.push(String(input));
      return Response.json({ token: `t${asked.length}`, expires_in: 60 });
    }) as typeof fetch;
    const tokens = new TokenSource({ fetch: fakeFetch, now: () => now });
    const challenge = {
      scheme: "bearer",
      params: { realm: "http://auth.test/token", service: "reg" },
    };
    expect(await tokens.token(challenge, "repository:a:pull")).toBe("t1");
    expect(await tokens.token(challenge, "repository:a:pull")).toBe("t1");
    expect(await tokens.token(challenge, "repository:b:pull")).toBe("t2");
    now = 60_000;
    expect(await tokens.token(challenge, "repository:a:pull")).toBe("t3");
    expect(asked[0]).toBe("http://auth.test/token?service=reg&scope=repository%3Aa%3Apull");
  });

  test("falls back to the OAuth2 password grant when GET is refused", async () => {
    const methods: string[] = [];
    const fakeFetch = (async (_input: string | URL | Request, init?: RequestInit) => {
      methods.push(init?.method ?? "GET");
      if ((init?.method ?? "GET") === "GET") return new Response("no", { status: 405 });
      expect(String(init?.body)).toContain("grant_type=password");
      return Response.json({ access_token: "oauth" });
    }) as typeof fetch;
    const tokens = new TokenSource({
      fetch: fakeFetch,
      credentials: { username: "u", password: "p" },
    });
    expect(
      await tokens.token(
        { scheme: "bearer", params: { realm: "http://auth.test/token" } },
        "repository:a:pull",
      ),
    ).toBe("oauth");
    expect(methods).toEqual(["GET", "POST"]);
  });
});

describe("UpstreamRouter", () => {
  const router = new UpstreamRouter([
    { prefix: "docker.io", remoteurl: "https://registry-1.docker.io", ttl: 0 },
    { prefix: "ghcr.io", remoteurl: "https://ghcr.io", ttl: 0 },
  ]);

  test.each([
    ["docker.io/alpine", undefined, "library/alpine", "docker.io/library/alpine"],
    ["docker.io/library/alpine", undefined, "library/alpine", "docker.io/library/alpine"],
    ["alpine", "docker.io", "library/alpine", "docker.io/library/alpine"],
    ["ghcr.io/org/app", undefined, "org/app", "ghcr.io/org/app"],
    ["org/app", "ghcr.io", "org/app", "ghcr.io/org/app"],
    ["ghcr.io/org/app", "ghcr.io", "org/app", "ghcr.io/org/app"],
  ])("%p (ns=%p) → %p stored as %p", (name, ns, remote, local) => {
    const route = router.route(name, ns);
    expect(route?.remoteName).toBe(remote);
    expect(route?.localName).toBe(local);
  });

  test("names no upstream claims are hosted", () => {
    expect(router.route("team/service")).toBeUndefined();
    expect(router.route("team/service", "quay.io")).toBeUndefined();
  });

  test("a single unprefixed upstream mirrors every name", () => {
    const single = new UpstreamRouter([
      { prefix: "", remoteurl: "https://registry-1.docker.io", ttl: 0 },
    ]);
    expect(single.route("alpine")?.remoteName).toBe("library/alpine");
    expect(single.route("alpine")?.localName).toBe("library/alpine");
    expect(single.route("org/app")?.remoteName).toBe("org/app");
  });
});
