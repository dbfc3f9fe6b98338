import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { loadConfig } from "../../src/config/load.ts";
import { silentLogger } from "../../src/log.ts";
import { mediaTypes } from "../../src/registry/mediatypes.ts";
import { type RunningServer, startServer } from "../../src/server.ts";
import { freePort } from "../support/process.ts";
import { errorCode, testRegistry } from "../support/registry.ts";

/** A raw connection that sends the start of an upload and then goes silent. */
function stalledUpload(
  port: number,
  path: string,
): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(
        `PATCH ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 1000000\r\nContent-Type: application/octet-stream\r\n\r\nfirst bytes`,
      );
      resolve({ socket, closed: new Promise((done) => socket.on("close", () => done())) });
    });
    socket.on("error", () => {});
  });
}

async function rawStatus(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(request));
    let data = "";
    socket.on("data", (chunk) => {
      data += chunk.toString();
    });
    socket.on("close", () => resolve(data.split("\r\n")[0] ?? ""));
    socket.on("error", () => resolve(data.split("\r\n")[0] ?? "error"));
  });
}

/**
 * Bun checks idle sockets on a coarse timer (a 1 s idle timeout fires after about 4 s), which
 * leaves too little room under bun's 5 s default per test.
 */
const idleTimeoutBudget = 30_000;

describe("hardening against slow and greedy clients", () => {
  let server: RunningServer;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    const config = loadConfig({
      text: `version: 0.1\nstorage:\n  inmemory:\nhttp:\n  addr: 127.0.0.1:${port}\n  idletimeout: 1s\n  maxconcurrentuploads: 2\n`,
    });
    server = await startServer(config, silentLogger);
  });

  afterAll(() => server.shutdown());

  const startUpload = async () => {
    const response = await fetch(`${server.url}/v2/slow/blobs/uploads/`, { method: "POST" });
    return new URL(response.headers.get("location") as string).pathname;
  };

  test(
    "a stalled upload is ended by the idle timeout while other clients are served",
    async () => {
      const stalled = await stalledUpload(port, await startUpload());
      expect((await fetch(`${server.url}/v2/`)).status).toBe(200);
      await stalled.closed;
      expect((await fetch(`${server.url}/v2/`)).status).toBe(200);
    },
    idleTimeoutBudget,
  );

  test(
    "concurrent uploads per client are limited: the third gets 429 TOOMANYREQUESTS",
    async () => {
      const first = await stalledUpload(port, await startUpload());
      const second = await stalledUpload(port, await startUpload());
      await Bun.sleep(50);
      const third = await fetch(`${server.url}/v2/slow/blobs/uploads/`, { method: "POST" });
      expect(third.status).toBe(429);
      expect(await errorCode(third)).toBe("TOOMANYREQUESTS");
      await Promise.all([first.closed, second.closed]);
      expect((await fetch(`${server.url}/v2/slow/blobs/uploads/`, { method: "POST" })).status).toBe(
        202,
      );
    },
    idleTimeoutBudget,
  );

  test("oversized request headers are refused without harming the server", async () => {
    const status = await rawStatus(
      port,
      `GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(256 * 1024)}\r\nConnection: close\r\n\r\n`,
    );
    expect(status).not.toContain(" 5");
    expect(status).not.toContain(" 200");
    expect((await fetch(`${server.url}/v2/`)).status).toBe(200);
  });
});

describe("hardening against hostile content", () => {
  test("deeply nested manifest JSON is MANIFEST_INVALID, not a crash", async () => {
    const registry = testRegistry();
    const nested = `{"schemaVersion":2,"x":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    const response = await registry.request("PUT", "/v2/deep/manifests/v1", {
      body: nested,
      headers: { "Content-Type": mediaTypes.ociManifest },
    });
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe("MANIFEST_INVALID");
  });
});
