/**
 * `bun run bench`: skiff (compiled) against Distribution 2.8.2 on the same machine, in the same
 * run, configured alike; scenarios alternate A B A B and report medians, ranges and ratios.
 */
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import {
  buildBinary,
  freePort,
  type ServerProcess,
  startServer,
  tempDir,
} from "../test/support/process.ts";
import { hey } from "./load.ts";
import { type ScenarioResult, writeReport } from "./report.ts";
import { seedImage } from "./seed.ts";
import { summarize } from "./stats.ts";

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = 50;
const caches = (process.env.BENCH_CACHES ?? "inmemory,redis").split(",") as (
  | "inmemory"
  | "redis"
)[];

async function ensureTools(): Promise<void> {
  const wanted: Record<string, string> = {
    hey: "hey",
    "docker-registry": "docker-registry",
    "redis-server": "redis-server",
  };
  const missing = Object.keys(wanted).filter((tool) => !Bun.which(tool));
  if (missing.length === 0) return;
  console.log(`installing ${missing.join(", ")} with apt`);
  for (const command of [
    ["apt-get", "update", "-qq"],
    ["apt-get", "install", "-y", "-qq", ...missing.map((tool) => wanted[tool] as string)],
  ]) {
    const child = Bun.spawn(command, {
      stdout: "inherit",
      stderr: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if ((await child.exited) !== 0) throw new Error(`${command.join(" ")} failed`);
  }
}

function config(root: string, port: number, cache: string, redisPort?: number, db = 0): string {
  return `version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: ${root}}
  delete: {enabled: true}
  cache: {blobdescriptor: ${cache}}
http:
  addr: 127.0.0.1:${port}
${redisPort ? `redis:\n  addr: 127.0.0.1:${redisPort}\n  db: ${db}\n` : ""}`;
}

async function startRedis(): Promise<{ port: number; stop: () => void }> {
  const port = await freePort();
  const child = Bun.spawn(
    [
      "redis-server",
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
    ],
    { stdout: "ignore", stderr: "ignore" },
  );
  for (let i = 0; i < 100; i++) {
    const ok = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then(
      (socket) => {
        socket.end();
        return true;
      },
      () => false,
    );
    if (ok) break;
    await Bun.sleep(50);
  }
  return { port, stop: () => child.kill() };
}

interface Pair {
  readonly skiff: ServerProcess;
  readonly distribution: ServerProcess;
}

async function startPair(
  work: string,
  binary: string,
  cache: "inmemory" | "redis",
  redisPort?: number,
): Promise<Pair> {
  const [skiffPort, distributionPort] = [await freePort(), await freePort()];
  const skiffConfig = join(work, `skiff-${cache}.yml`);
  const distributionConfig = join(work, `distribution-${cache}.yml`);
  await Bun.write(
    skiffConfig,
    config(join(work, `skiff-${cache}`), skiffPort, cache, redisPort, 0),
  );
  await Bun.write(
    distributionConfig,
    config(join(work, `distribution-${cache}`), distributionPort, cache, redisPort, 1),
  );
  const skiff = await startServer([binary, "serve", skiffConfig], skiffPort);
  const distribution = await startServer(
    ["docker-registry", "serve", distributionConfig],
    distributionPort,
  );
  return { skiff, distribution };
}

async function loadScenario(
  name: string,
  pair: Pair,
  path: string,
  method: "GET" | "HEAD",
  headers?: Record<string, string>,
): Promise<ScenarioResult> {
  const samples = { skiff: [] as number[], distribution: [] as number[] };
  const p99 = { skiff: [] as number[], distribution: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    for (const target of ["skiff", "distribution"] as const) {
      const result = await hey(`${pair[target].url}${path}`, {
        method,
        connections,
        seconds,
        headers,
      });
      if (result.errors > 0) throw new Error(`${name}: ${target} answered ${result.errors} errors`);
      samples[target].push(result.requestsPerSecond);
      p99[target].push(result.p99Ms);
    }
  }
  return {
    name,
    unit: "req/s",
    higherIsBetter: true,
    skiff: summarize(samples.skiff),
    distribution: summarize(samples.distribution),
    extra: {
      p99Ms: {
        skiff: summarize(p99.skiff).median,
        distribution: summarize(p99.distribution).median,
      },
    },
  };
}

async function main(): Promise<void> {
  await ensureTools();
  const work = await tempDir("skiff-bench-");
  const binary = await buildBinary();
  const results: ScenarioResult[] = [];
  const peakRSS: Record<string, { skiff: number; distribution: number }> = {};
  try {
    for (const cache of caches) {
      const redis = cache === "redis" ? await startRedis() : undefined;
      const pair = await startPair(work.path, binary, cache, redis?.port);
      try {
        const seeded = {
          skiff: await seedImage(pair.skiff.url, "bench/app"),
          distribution: await seedImage(pair.distribution.url, "bench/app"),
        };
        if (seeded.skiff.layer !== seeded.distribution.layer)
          throw new Error("seeding differs between targets");
        console.log(`[${cache}] HEAD blob, ${connections} connections, ${rounds}×${seconds}s each`);
        results.push(
          await loadScenario(
            `HEAD blob (${cache} cache)`,
            pair,
            `/v2/bench/app/blobs/${seeded.skiff.layer}`,
            "HEAD",
          ),
        );
        console.log(`[${cache}] GET manifest`);
        results.push(
          await loadScenario(
            `GET manifest by tag (${cache} cache)`,
            pair,
            "/v2/bench/app/manifests/latest",
            "GET",
            { Accept: seeded.skiff.manifestMediaType },
          ),
        );
        peakRSS[cache] = {
          skiff: await pair.skiff.peakRSS(),
          distribution: await pair.distribution.peakRSS(),
        };
      } finally {
        await pair.skiff.stop();
        await pair.distribution.stop();
        redis?.stop();
      }
    }
  } finally {
    await work.cleanup();
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${process.platform}/${process.arch}, Bun ${Bun.version}`;
  await writeReport({
    machine,
    date: new Date().toISOString(),
    rounds,
    seconds,
    connections,
    results,
    peakRSS,
  });
}

await main();
