/**
 * Bun runs blocking file calls on a thread pool sized to the cores (two, on a small VM), and
 * reads `UV_THREADPOOL_SIZE` once, at start-up. A registry's pool threads mostly wait on the
 * device in fdatasync, not on a core: with two of them, two pushes can sync at a time and every
 * other push queues behind them, while the filesystem could commit many syncs together (ext4
 * groups them into one journal commit). So `serve` restarts itself in place, once, with a larger
 * pool unless the operator has chosen a size.
 */
export const defaultThreadPoolSize = 16;

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

/** The exec that gives this process a larger pool, or undefined when it has its size already. */
export function threadPoolRelaunch(facts: ProcessFacts): Relaunch | undefined {
  if (facts.env.UV_THREADPOOL_SIZE) return undefined;
  const compiled = facts.mainPath.startsWith("/$bunfs/");
  // A compiled binary carries its own runtime flags; `bun script.ts` passes them on the line.
  const launcher = compiled ? [] : [...facts.execArgv, facts.argv[1] ?? facts.mainPath];
  return {
    file: facts.execPath,
    args: [facts.execPath, ...launcher, ...facts.argv.slice(2)],
    env: { ...facts.env, UV_THREADPOOL_SIZE: String(defaultThreadPoolSize) },
  };
}

type Execve = (file: string, args: string[], env: Record<string, string | undefined>) => never;

/**
 * Replaces this process (same pid, same open descriptors) when the pool should be larger. An
 * exec that fails leaves the process as it was, serving with the default pool.
 */
export function ensureThreadPool(): void {
  const execve = (process as unknown as { execve?: Execve }).execve;
  if (typeof execve !== "function") return;
  const relaunch = threadPoolRelaunch({
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
    // Only the pool size is lost; the registry works the same.
  }
}
