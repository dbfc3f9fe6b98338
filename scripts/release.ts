/**
 * `bun run build:release`: compiles `dist/skiff-linux-x64` and `dist/skiff-linux-arm64`
 * (minified, version and commit embedded), then prints each binary's size and the x64
 * binary's start-up time to its first answered request (median of 5 starts).
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };

const root = join(import.meta.dir, "..");
const targets = [
  { target: "bun-linux-x64", out: "dist/skiff-linux-x64" },
  { target: "bun-linux-arm64", out: "dist/skiff-linux-arm64" },
];

function gitCommit(): string {
  const result = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: root });
  return result.exitCode === 0 ? result.stdout.toString().trim() : "unknown";
}

async function build(target: string, out: string, commit: string): Promise<void> {
  const args = [
    "build",
    "--compile",
    "--minify",
    // A smaller heap that is collected sooner: a registry's memory is mostly transient buffers.
    "--compile-exec-argv=--smol",
    // A registry reads its config file and REGISTRY_* variables, not a .env or bunfig.toml that
    // happens to sit in its working directory.
    "--no-compile-autoload-dotenv",
    "--no-compile-autoload-bunfig",
    `--target=${target}`,
    `--define`,
    `SKIFF_COMMIT=${JSON.stringify(commit)}`,
    "src/cli.ts",
    "--outfile",
    out,
  ];
  const child = Bun.spawn([process.execPath, ...args], {
    cwd: root,
    stdout: "pipe",
    stderr: "pipe",
  });
  if ((await child.exited) !== 0)
    throw new Error(`build ${target} failed: ${await new Response(child.stderr).text()}`);
}

/** Milliseconds from spawning the binary to its first 200 on `/v2/`. */
async function startupMs(binary: string): Promise<number> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const started = performance.now();
  const child = Bun.spawn([binary, "serve"], {
    env: {
      ...process.env,
      REGISTRY_STORAGE: "inmemory",
      REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`,
      REGISTRY_LOG_LEVEL: "error",
    },
    stdout: "ignore",
    stderr: "ignore",
  });
  try {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/v2/`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return performance.now() - started;
      if (child.exitCode !== null) throw new Error(`${binary} exited with ${child.exitCode}`);
      await Bun.sleep(2);
    }
  } finally {
    child.kill();
    await child.exited;
  }
}

const commit = gitCommit();
for (const { target, out } of targets) {
  await build(target, out, commit);
  console.log(
    `${out}: ${((await stat(join(root, out))).size / 2 ** 20).toFixed(1)} MiB (${target}, ${pkg.version} ${commit})`,
  );
}
const x64 = join(root, "dist/skiff-linux-x64");
const times: number[] = [];
for (let i = 0; i < 5; i++) times.push(await startupMs(x64));
times.sort((a, b) => a - b);
console.log(
  `start-up to first answered request: ${times[2]?.toFixed(0)} ms median (${times.map((t) => t.toFixed(0)).join(", ")})`,
);
const version = Bun.spawnSync([x64, "--version"]).stdout.toString().trim();
console.log(version);
