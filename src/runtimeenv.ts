/**
 * Settings the runtime reads once, at start-up, from the environment. `serve` restarts itself in
 * place, once, with these defaults for any the operator has not set; a value the operator set is
 * kept. Each was measured in A/B runs of the compiled binary; bench/RESULTS.md shows them together.
 */
export const runtimeDefaults: Readonly<Record<string, string>> = {
  // Bun sizes the pool for blocking file calls to the cores (two, on a small VM). A registry's
  // pool threads mostly wait on the device in fdatasync, not on a core: with two of them, every
  // other push queues behind two syncs, while ext4 could commit many together in one journal
  // commit. 16 threads: +10–15% on 4 KiB pushes by 16 clients.
  UV_THREADPOOL_SIZE: "16",
  // JavaScriptCore sizes its heap against the machine's RAM, and on a large host lets garbage
  // pile up far beyond what a registry keeps alive (request objects, body chunks). Sizing as if
  // on 256 MiB collects sooner: peak RSS under 50 connections of HEAD fell from ~80 to ~70 MiB
  // at the same req/s, and a 256 MiB push peaked ~4 MiB lower at the same speed. It is a sizing
  // hint, not a limit: a heap with more live data than that still grows.
  BUN_JSC_forceRAMSize: String(256 * 1024 * 1024),
  // The top JIT tier compiles hot loops with a memory-hungry backend; a registry's JavaScript is
  // glue around native I/O and hashing and gains nothing measurable from it. Without it, peak
  // RSS under 50 connections of HEAD fell from ~88 to ~80 MiB at the same req/s.
  BUN_JSC_useFTLJIT: "0",
};

export interface ProcessFacts {
  readonly env: Record<string, string | undefined>;
  readonly argv: readonly string[];
  readonly execArgv: readonly string[];
  readonly execPath: string;
  /** The script's path: under `/$bunfs/` in a compiled binary, whose argv[1] is not a file. */
  readonly mainPath: string;
}

export interface Relaunch {
  readonly file: string;
  readonly args: string[];
  readonly env: Record<string, string | undefined>;
}

/** The exec that gives this process the runtime defaults, or undefined when it has them all. */
export function runtimeRelaunch(facts: ProcessFacts): Relaunch | undefined {
  const missing = Object.entries(runtimeDefaults).filter(([name]) => !facts.env[name]);
  if (missing.length === 0) return undefined;
  const compiled = facts.mainPath.startsWith("/$bunfs/");
  // A compiled binary carries its own runtime flags; `bun script.ts` passes them on the line.
  const launcher = compiled ? [] : [...facts.execArgv, facts.argv[1] ?? facts.mainPath];
  return {
    file: facts.execPath,
    args: [facts.execPath, ...launcher, ...facts.argv.slice(2)],
    env: { ...facts.env, ...Object.fromEntries(missing) },
  };
}

type Execve = (file: string, args: string[], env: Record<string, string | undefined>) => never;

/**
 * Replaces this process (same pid, same open descriptors) when a runtime default is missing. An
 * exec that fails leaves the process as it was: it serves the same, only with the runtime's
 * own defaults.
 */
export function ensureRuntimeDefaults(): void {
  const execve = (process as unknown as { execve?: Execve }).execve;
  if (typeof execve !== "function") return;
  const relaunch = runtimeRelaunch({
    env: process.env,
    argv: process.argv,
    execArgv: process.execArgv,
    execPath: process.execPath,
    mainPath: Bun.main,
  });
  if (!relaunch) return;
  try {
    execve.call(process, relaunch.file, relaunch.args, relaunch.env);
  } catch {
    // Only the tuning is lost; the registry works the same.
  }
}
