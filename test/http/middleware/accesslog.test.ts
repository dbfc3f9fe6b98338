import { expect, test } from "bun:test";
import { Elysia } from "elysia";
import { accessLog } from "../../../src/http/middleware/accesslog.ts";
import { createLogger } from "../../../src/log.ts";

test("one JSON access-log line per request with method, path, status, bytes, duration and request id", async () => {
  const lines: string[] = [];
  const logger = createLogger({
    level: "info",
    formatter: "json",
    fields: { service: "registry" },
    write: (line) => lines.push(line),
  });
  const app = new Elysia()
    .use(accessLog(logger, true))
    .get(
      "/v2/x/manifests/latest",
      () => new Response("hello", { status: 200, headers: { "Content-Length": "5" } }),
    );
  const response = await app.handle(
    new Request("http://registry.test/v2/x/manifests/latest?ns=docker.io", {
      headers: { "X-Request-Id": "req-1" },
    }),
  );
  expect(response.headers.get("x-request-id")).toBe("req-1");
  await Bun.sleep(1);
  expect(lines).toHaveLength(1);
  const entry = JSON.parse(lines[0] as string) as Record<string, unknown>;
  expect(entry).toMatchObject({
    level: "info",
    msg: "request",
    method: "GET",
    path: "/v2/x/manifests/latest",
    status: 200,
    bytes: 5,
    request_id: "req-1",
    service: "registry",
  });
  expect(entry.duration_ms).toBeNumber();
});

test("disabled: no lines, but the request id is still set", async () => {
  const lines: string[] = [];
  const logger = createLogger({
    level: "info",
    formatter: "text",
    write: (line) => lines.push(line),
  });
  const app = new Elysia().use(accessLog(logger, false)).get("/", () => new Response("ok"));
  const response = await app.handle(new Request("http://registry.test/"));
  await Bun.sleep(1);
  expect(lines).toEqual([]);
  expect(response.headers.get("x-request-id")).toBeString();
});

test("requests answered by the error handler are logged with their real status and size", async () => {
  const { loadConfig } = await import("../../../src/config/load.ts");
  const { buildRegistry } = await import("../../../src/wire.ts");
  const lines: string[] = [];
  const logger = createLogger({
    level: "info",
    formatter: "json",
    write: (line) => lines.push(line),
  });
  const registry = buildRegistry(
    loadConfig({ text: "version: 0.1\nstorage:\n  inmemory:\n" }),
    logger,
  );
  const response = await registry.app.handle(new Request("http://registry.test/no/such/route"));
  expect(response.status).toBe(404);
  await Bun.sleep(1);
  const entry = JSON.parse(lines.find((line) => line.includes('"msg":"request"')) as string) as {
    status: number;
    bytes: number;
  };
  expect(entry.status).toBe(404);
  expect(entry.bytes).toBeGreaterThan(0);
});
