import { describe, expect, test } from "bun:test";
import { defaultThreadPoolSize, type ProcessFacts, threadPoolRelaunch } from "../src/threadpool.ts";

const facts = (overrides: Partial<ProcessFacts>): ProcessFacts => ({
  env: { PATH: "/usr/bin" },
  argv: ["/usr/local/bin/skiff", "/$bunfs/root/skiff", "serve", "config.yml"],
  execArgv: [],
  execPath: "/usr/local/bin/skiff",
  mainPath: "/$bunfs/root/skiff",
  ...overrides,
});

describe("threadPoolRelaunch", () => {
  test("a compiled binary runs again with its own arguments and the pool size added", () => {
    expect(threadPoolRelaunch(facts({}))).toEqual({
      file: "/usr/local/bin/skiff",
      args: ["/usr/local/bin/skiff", "serve", "config.yml"],
      env: { PATH: "/usr/bin", UV_THREADPOOL_SIZE: String(defaultThreadPoolSize) },
    });
  });

  test("a script keeps bun's flags and its own path", () => {
    const relaunch = threadPoolRelaunch(
      facts({
        argv: ["/usr/bin/bun", "/app/src/cli.ts", "serve"],
        execArgv: ["--smol"],
        execPath: "/usr/bin/bun",
        mainPath: "/app/src/cli.ts",
      }),
    );
    expect(relaunch?.args).toEqual(["/usr/bin/bun", "--smol", "/app/src/cli.ts", "serve"]);
  });

  test("a size the operator chose is kept, and the process is not restarted", () => {
    expect(threadPoolRelaunch(facts({ env: { UV_THREADPOOL_SIZE: "4" } }))).toBeUndefined();
  });
});
