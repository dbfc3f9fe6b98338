import { describe, expect, test } from "bun:test";
import { type ProcessFacts, runtimeDefaults, runtimeRelaunch } from "../src/runtimeenv.ts";

const facts = (overrides: Partial<ProcessFacts>): ProcessFacts => ({
  env: { PATH: "/usr/bin" },
  argv: ["/usr/local/bin/skiff", "/$bunfs/root/skiff", "serve", "config.yml"],
  execArgv: [],
  execPath: "/usr/local/bin/skiff",
  mainPath: "/$bunfs/root/skiff",
  ...overrides,
});

describe("runtimeRelaunch", () => {
  test("a compiled binary runs again with its own arguments and every default added", () => {
    expect(runtimeRelaunch(facts({}))).toEqual({
      file: "/usr/local/bin/skiff",
      args: ["/usr/local/bin/skiff", "serve", "config.yml"],
      env: { PATH: "/usr/bin", ...runtimeDefaults },
    });
  });

  test("a script keeps bun's flags and its own path", () => {
    const relaunch = runtimeRelaunch(
      facts({
        argv: ["/usr/bin/bun", "/app/src/cli.ts", "serve"],
        execArgv: ["--smol"],
        execPath: "/usr/bin/bun",
        mainPath: "/app/src/cli.ts",
      }),
    );
    expect(relaunch?.args).toEqual(["/usr/bin/bun", "--smol", "/app/src/cli.ts", "serve"]);
  });

  test("values the operator set are kept, and only the missing ones are added", () => {
    const relaunch = runtimeRelaunch(facts({ env: { UV_THREADPOOL_SIZE: "4" } }));
    expect(relaunch?.env).toEqual({ ...runtimeDefaults, UV_THREADPOOL_SIZE: "4" });
  });

  test("a process that has every setting is not restarted", () => {
    const chosen = Object.fromEntries(Object.keys(runtimeDefaults).map((name) => [name, "1"]));
    expect(runtimeRelaunch(facts({ env: chosen }))).toBeUndefined();
  });
});
