import { describe, expect, test } from "bun:test";
import { digestOf } from "../../src/registry/digest.ts";
import { bytes, errorCode, pushBlob, pushImage, testRegistry } from "../support/registry.ts";

describe("base and errors", () => {
  test("GET /v2/ answers 200 {} with the API version header", async () => {
    const registry = testRegistry();
    for (const path of ["/v2/", "/v2"]) {
      const response = await registry.request("GET", path);
      expect(response.status).toBe(200);
      expect(response.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
      expect(await response.json()).toEqual({});
    }
  });

  test("configured http.headers and the API version header are on errors too", async () => {
    const registry = testRegistry({
      headers: { "X-Content-Type-Options": ["nosniff"], "X-Custom": ["a", "b"] },
    });
    const response = await registry.request("GET", `/v2/a/blobs/${digestOf("x")}`);
    expect(response.status).toBe(404);
    expect(response.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("x-custom")).toBe("a, b");
  });

  test("unknown routes are 404 in the error envelope", async () => {
    const registry = testRegistry();
    for (const path of ["/v2/a/unknown/thing", "/other", "/v2/_catalog/extra"]) {
      const response = await registry.request("GET", path);
      expect(response.status).toBe(404);
      expect(await errorCode(response)).toBeString();
    }
  });

  test("a method a route does not answer is 405 UNSUPPORTED", async () => {
    const registry = testRegistry();
    const response = await registry.request("POST", `/v2/a/blobs/${digestOf("x")}`);
    expect(response.status).toBe(405);
    expect(await errorCode(response)).toBe("UNSUPPORTED");
  });

  test("a request id is echoed or generated", async () => {
    const registry = testRegistry();
    const echoed = await registry.request("GET", "/v2/", {
      headers: { "X-Request-Id": "abc-123" },
    });
    expect(echoed.headers.get("x-request-id")).toBe("abc-123");
    const generated = await registry.request("GET", "/v2/");
    expect(generated.headers.get("x-request-id")).toBeString();
  });
});

describe("repository names", () => {
  const invalid = [
    "UPPER/case",
    "a..b",
    "a//b",
    "-lead",
    "trail-",
    "a/",
    "x".repeat(256),
    "a/b__/c",
    "a%2fb",
    "space%20x",
    "..",
    "a/..",
  ];

  test.each(invalid)("%p is 400 NAME_INVALID on every route and writes nothing", async (name) => {
    const registry = testRegistry();
    const digest = digestOf("x");
    const requests: [string, string][] = [
      ["GET", `/v2/${name}/blobs/${digest}`],
      ["HEAD", `/v2/${name}/manifests/latest`],
      ["POST", `/v2/${name}/blobs/uploads/`],
      ["PUT", `/v2/${name}/manifests/latest`],
      ["GET", `/v2/${name}/tags/list`],
      ["GET", `/v2/${name}/referrers/${digest}`],
    ];
    for (const [method, path] of requests) {
      const response = await registry.request(
        method,
        path,
        method === "PUT" || method === "POST" ? { body: "{}" } : undefined,
      );
      expect(response.status).toBeLessThan(500);
      if (response.status !== 404) {
        expect(response.status).toBe(400);
        if (method !== "HEAD") expect(await errorCode(response)).toBe("NAME_INVALID");
      }
    }
    const files: string[] = [];
    await registry.driver
      .walk("/", (info) => {
        files.push(info.path);
        return undefined;
      })
      .catch(() => undefined);
    expect(files).toEqual([]);
  });

  test("names at the 255 character limit and with separators are accepted", async () => {
    const registry = testRegistry();
    const long = `${"a".repeat(120)}/${"b".repeat(134)}`;
    expect(long.length).toBe(255);
    for (const name of [long, "a-b_c.d/e__f/g--h"]) {
      expect((await registry.request("POST", `/v2/${name}/blobs/uploads/`)).status).toBe(202);
    }
  });
});

describe("read-only mode", () => {
  test("writes are 405 UNSUPPORTED, reads keep working", async () => {
    const writable = testRegistry();
    const image = await pushImage(writable, "ro", "v1");
    const registry = testRegistry({ driver: writable.driver, readOnly: true });
    const push = await registry.request("POST", "/v2/ro/blobs/uploads/");
    expect(push.status).toBe(405);
    expect(await errorCode(push)).toBe("UNSUPPORTED");
    expect((await registry.request("DELETE", `/v2/ro/manifests/${image.digest}`)).status).toBe(405);
    expect(
      (await registry.request("PUT", "/v2/ro/manifests/v2", { body: image.manifest })).status,
    ).toBe(405);
    expect((await registry.request("GET", "/v2/ro/manifests/v1")).status).toBe(200);
    expect((await registry.request("HEAD", `/v2/ro/blobs/${image.config}`)).status).toBe(200);
  });
});

describe("http.prefix and relative URLs", () => {
  test("routes live under the prefix and Locations use it", async () => {
    const registry = testRegistry({ prefix: "/registry", relativeURLs: true });
    expect((await registry.request("GET", "/registry/v2/")).status).toBe(200);
    expect((await registry.request("GET", "/v2/")).status).toBe(404);
    const response = await registry.request("POST", "/registry/v2/p/blobs/uploads/");
    expect(response.headers.get("location")).toStartWith("/registry/v2/p/blobs/uploads/");
    const digest = await (async () => {
      const content = bytes("prefixed");
      const put = await registry.request(
        "POST",
        `/registry/v2/p/blobs/uploads/?digest=${digestOf(content)}`,
        { body: content },
      );
      expect(put.status).toBe(201);
      return digestOf(content);
    })();
    expect((await registry.request("HEAD", `/registry/v2/p/blobs/${digest}`)).status).toBe(200);
  });

  test("absolute Locations honour X-Forwarded-Proto and Host", async () => {
    const registry = testRegistry();
    const response = await registry.request("POST", "/v2/p/blobs/uploads/", {
      headers: { "X-Forwarded-Proto": "https", Host: "reg.example:8443" },
    });
    expect(response.headers.get("location")).toStartWith(
      "https://reg.example:8443/v2/p/blobs/uploads/",
    );
    await pushBlob(registry, "p", bytes("unused"));
  });
});
