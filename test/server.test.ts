import { afterEach, describe, expect, test } from "bun:test";
import { loadConfig } from "../src/config/load.ts";
import { silentLogger } from "../src/log.ts";
import { type RunningServer, startServer } from "../src/server.ts";
import { freePort } from "./support/process.ts";

const running: RunningServer[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) await server.shutdown();
});

const configOn = (port: number, debugPort?: number) =>
  loadConfig({
    text: `version: 0.1\nstorage:\n  inmemory:\nhttp:\n  addr: 127.0.0.1:${port}\n${debugPort ? `  debug:\n    addr: 127.0.0.1:${debugPort}\n` : ""}`,
  });

describe("startServer", () => {
  test("a port another registry listens on is refused, not shared", async () => {
    const port = await freePort();
    running.push(await startServer(configOn(port), silentLogger));
    await expect(startServer(configOn(port), silentLogger)).rejects.toThrow(/EADDRINUSE|in use/i);
  });

  test("so is a debug port in use, and the main listener it opened is closed again", async () => {
    const [first, second, debugPort] = [await freePort(), await freePort(), await freePort()];
    running.push(await startServer(configOn(first, debugPort), silentLogger));
    await expect(startServer(configOn(second, debugPort), silentLogger)).rejects.toThrow(
      /EADDRINUSE|in use/i,
    );
    const reached = await fetch(`http://127.0.0.1:${second}/v2/`).then(
      () => true,
      () => false,
    );
    expect(reached).toBe(false);
  });
});
