/**
 * `bun run bench`: skiff (compiled) against Distribution 2.8.2 on the same machine, in the same
 * run, configured alike; every scenario alternates A B A B and reports medians, min–max and the
 * skiff/Distribution ratio, plus peak RSS.
 */

import { rm } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import {
  buildBinary,
  freePort,
  logsOnFailure,
  type ServerProcess,
  tempDir,
} from "../test/support/process.ts";
import { s3rverCredentials, startS3rver } from "../test/support/s3rver.ts";
import { digestOfGenerated, generated, mib } from "./bodies.ts";
import {
  curlPull,
  curlPushChunked,
  curlPushMonolithic,
  pullBlob,
  pullImage,
  pushMonolithic,
  timed,
} from "./clients.ts";
import { benchDisks, settle } from "./disk.ts";
import { hey } from "./load.ts";
import { type ScenarioResult, writeReport } from "./report.ts";
import { seedImage } from "./seed.ts";
import { summarize } from "./stats.ts";
import { startTarget, type TargetName, targetNames } from "./targets.ts";

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
/**
 * A cold mirror pull takes under a second and its spread is as wide as the target's margin
 * (Distribution's medians moved 0.42–0.68 s between runs of one hour), so it gets more rounds
 * for a steadier median; together they add about 30 s.
 */
const mirrorRounds = Number(process.env.BENCH_MIRROR_ROUNDS ?? Math.max(rounds, 11));
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = 50;
const only = process.env.BENCH_ONLY?.split(",");

type Pair = Record<TargetName, ServerProcess>;
const results: ScenarioResult[] = [];
const peakRSS: Record<string, { skiff: number; distribution: number }> = {};

async function ensureTools(): Promise<void> {
  const missing = ["hey", "docker-registry", "redis-server", "curl"].filter(
    (tool) => !Bun.which(tool),
  );
  if (missing.length === 0) return;
  console.log(`installing ${missing.join(", ")} with apt`);
  for (const command of [
    ["apt-get", "update", "-qq"],
    ["apt-get", "install", "-y", "-qq", ...missing],
  ]) {
    const child = Bun.spawn(command, {
      stdout: "inherit",
      stderr: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if ((await child.exited) !== 0) throw new Error(`${command.join(" ")} failed`);
  }
}

const wanted = (name: string) => !only || only.some((key) => name.toLowerCase().includes(key));

/** Runs `measure` for skiff and Distribution in alternation, `times` rounds. */
async function alternate(
  name: string,
  unit: string,
  higherIsBetter: boolean,
  measure: (target: TargetName, round: number) => Promise<number>,
  extra?: () => Record<string, unknown>,
  times = rounds,
): Promise<void> {
  if (!wanted(name)) return;
  console.log(`• ${name}`);
  const samples: Record<TargetName, number[]> = { skiff: [], distribution: [] };
  for (let round = 0; round < times; round++) {
    for (const target of targetNames) {
      await settle();
      samples[target].push(await measure(target, round));
    }
  }
  results.push({
    name,
    unit,
    higherIsBetter,
    skiff: summarize(samples.skiff),
    distribution: summarize(samples.distribution),
    extra: extra?.(),
  });
}

async function loadScenarios(pair: Pair, label: string): Promise<void> {
  const seeded = {
    skiff: await seedImage(pair.skiff.url, "bench/app"),
    distribution: await seedImage(pair.distribution.url, "bench/app"),
  };
  const p99: Record<TargetName, number[]> = { skiff: [], distribution: [] };
  const load =
    (method: "GET" | "HEAD", path: (t: TargetName) => string, headers?: Record<string, string>) =>
    async (target: TargetName) => {
      const result = await hey(`${pair[target].url}${path(target)}`, {
        method,
        connections,
        seconds,
        headers,
      });
      if (result.errors > 0) throw new Error(`${target} answered ${result.errors} errors`);
      p99[target].push(result.p99Ms);
      return result.requestsPerSecond;
    };
  const p99Summary = () => {
    const out = {
      p99Ms: {
        skiff: summarize(p99.skiff).median,
        distribution: summarize(p99.distribution).median,
      },
    };
    p99.skiff = [];
    p99.distribution = [];
    return out;
  };
  await alternate(
    `HEAD blob, ${connections} connections (${label})`,
    "req/s",
    true,
    load("HEAD", (t) => `/v2/bench/app/blobs/${seeded[t].layer}`),
    p99Summary,
  );
  await alternate(
    `GET manifest by tag, ${connections} connections (${label})`,
    "req/s",
    true,
    load("GET", () => "/v2/bench/app/manifests/latest", { Accept: seeded.skiff.manifestMediaType }),
    p99Summary,
  );
}

/** Writes generated content to a file (curl sends files), returning its digest. */
async function contentFile(path: string, size: number, seed: number): Promise<string> {
  const writer = Bun.file(path).writer();
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of generated(size, seed)) {
    hasher.update(chunk);
    writer.write(chunk);
  }
  await writer.end();
  return `sha256:${hasher.digest("hex")}`;
}

async function transferScenarios(pair: Pair, work: string): Promise<void> {
  const size = 256 * mib;
  const pullDigest = await digestOfGenerated(size, 7);
  const mbps = (seconds: number) => size / mib / seconds;
  // Pushes are sent by curl, a separate C client, from files in the page cache.
  if (wanted("push 256 MiB monolithic")) {
    const files = await Promise.all(
      [1, 2, 3].map(async (seed) => ({
        file: join(work, `mono-${seed}.bin`),
        digest: await contentFile(join(work, `mono-${seed}.bin`), size, seed),
      })),
    );
    await alternate("push 256 MiB monolithic (curl)", "MiB/s", true, async (target, round) => {
      const { file, digest } = files[round % files.length] as { file: string; digest: string };
      return mbps(await curlPushMonolithic(pair[target].url, `mono/r${round}`, file, digest));
    });
  }
  if (wanted("push 256 MiB chunked")) {
    const chunked = await Promise.all(
      [4, 5, 6].map(async (seed) => {
        const chunks = await Promise.all(
          [0, 1, 2, 3].map(async (i) => ({
            file: join(work, `chunk-${seed}-${i}.bin`),
            size: 64 * mib,
            digest: await contentFile(
              join(work, `chunk-${seed}-${i}.bin`),
              64 * mib,
              seed * 10 + i,
            ),
          })),
        );
        const hasher = new Bun.CryptoHasher("sha256");
        for (const chunk of chunks) hasher.update(await Bun.file(chunk.file).bytes());
        return { chunks, digest: `sha256:${hasher.digest("hex")}` };
      }),
    );
    await alternate(
      "push 256 MiB chunked, 4 × 64 MiB (curl)",
      "MiB/s",
      true,
      async (target, round) => {
        const { chunks, digest } = chunked[round % chunked.length] as {
          chunks: { file: string; size: number }[];
          digest: string;
        };
        return mbps(await curlPushChunked(pair[target].url, `chunked/r${round}`, chunks, digest));
      },
    );
  }
  if (wanted("pull 256")) {
    for (const target of targetNames)
      await pushMonolithic(pair[target].url, "pull/blob", generated(size, 7), pullDigest);
  }
  await alternate("pull 256 MiB (curl)", "MiB/s", true, (target) =>
    curlPull(pair[target].url, "pull/blob", pullDigest),
  );
}

/** Small pushes, on the disk for small files (see `benchDisks`). */
async function smallPushScenario(pair: Pair): Promise<void> {
  await alternate(
    "1000 pushes of 4 KiB blobs, 16 clients",
    "pushes/s",
    true,
    async (target, round) => {
      const blobs = Array.from({ length: 1000 }, (_, i) => {
        const body = new Uint8Array(4096);
        new DataView(body.buffer).setUint32(
          0,
          round * 100_000 + i + (target === "skiff" ? 0 : 50_000),
        );
        return {
          body,
          digest: `sha256:${new Bun.CryptoHasher("sha256").update(body).digest("hex")}`,
        };
      });
      let next = 0;
      const elapsed = await timed(() =>
        Promise.all(
          Array.from({ length: 16 }, async () => {
            while (next < blobs.length) {
              const blob = blobs[next++] as { body: Uint8Array; digest: string };
              await pushMonolithic(pair[target].url, `small/r${round}`, blob.body, blob.digest);
            }
          }),
        ),
      );
      return blobs.length / elapsed;
    },
  );
}

/**
 * skiff on S3 (s3rver, a test peer, not a production store): push and pull throughput, reported
 * without a target. Distribution 2.8.2's s3 driver fails against s3rver (500 on uploads).
 */
async function s3Scenarios(binary: string, work: string): Promise<void> {
  if (!wanted("s3")) return;
  const s3 = await startS3rver("bench");
  const skiff = await startTarget("skiff", binary, work, "s3", {
    cache: "inmemory",
    s3: { endpoint: s3.endpoint, bucket: s3.bucket, ...s3rverCredentials },
  });
  try {
    const size = 64 * mib;
    const files = await Promise.all(
      [31, 32, 33].map(async (seed) => ({
        file: join(work, `s3-${seed}.bin`),
        digest: await contentFile(join(work, `s3-${seed}.bin`), size, seed),
      })),
    );
    const push: number[] = [];
    const pull: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const { file, digest } = files[round % files.length] as { file: string; digest: string };
      push.push(size / mib / (await curlPushMonolithic(skiff.url, `s3/r${round}`, file, digest)));
      pull.push(await curlPull(skiff.url, `s3/r${round}`, digest));
    }
    const note = "s3rver; Distribution's s3 driver fails against it";
    results.push({
      name: "S3 (s3rver): push 64 MiB (curl)",
      unit: "MiB/s",
      higherIsBetter: true,
      skiff: summarize(push),
      note,
    });
    results.push({
      name: "S3 (s3rver): pull 64 MiB (curl, presigned redirect)",
      unit: "MiB/s",
      higherIsBetter: true,
      skiff: summarize(pull),
      note,
    });
  } finally {
    await skiff.stop();
    await s3.stop();
  }
}

async function mirrorScenarios(binary: string, work: string): Promise<void> {
  if (!wanted("mirror") && !wanted("herd")) return;
  const upstream = await startTarget("skiff", binary, work, "upstream", {
    cache: "inmemory",
    accessLog: true,
  });
  try {
    const layerSize = 32 * mib;
    const layers = await Promise.all(
      [11, 12, 13, 14, 15].map(async (seed) => ({
        seed,
        digest: await digestOfGenerated(layerSize, seed),
      })),
    );
    for (const layer of layers)
      await pushMonolithic(
        upstream.url,
        "mirror/app",
        generated(layerSize, layer.seed),
        layer.digest,
      );
    await seedImage(
      upstream.url,
      "mirror/app",
      layers.map((layer) => ({ digest: layer.digest, size: layerSize })),
    );
    const herdSize = 64 * mib;
    const herdDigest = await digestOfGenerated(herdSize, 21);
    await pushMonolithic(upstream.url, "mirror/herd", generated(herdSize, 21), herdDigest);

    /** A fresh mirror of `upstream` for one measurement; on failure, both servers' output. */
    const withMirror = async (
      target: TargetName,
      label: string,
      measure: (mirror: ServerProcess) => Promise<number>,
    ): Promise<number> => {
      const mirror = await startTarget(target, binary, work, label, {
        cache: "inmemory",
        proxy: upstream.url,
      });
      let result = 0;
      try {
        await logsOnFailure(() => [mirror, upstream])(async () => {
          result = await measure(mirror);
        })();
        return result;
      } finally {
        await mirror.stop();
        await rm(join(work, `${target}-${label}`), { recursive: true, force: true });
      }
    };

    const warm: Record<TargetName, number[]> = { skiff: [], distribution: [] };
    await alternate(
      "mirror cold pull, 5 × 32 MiB image",
      "s",
      false,
      (target, round) =>
        withMirror(target, `mirror-${round}`, async (mirror) => {
          const cold = await timed(() => pullImage(mirror.url, "mirror/app", "latest"));
          warm[target].push(await timed(() => pullImage(mirror.url, "mirror/app", "latest")));
          return cold;
        }),
      undefined,
      mirrorRounds,
    );
    if (wanted("mirror"))
      results.push({
        name: "mirror warm pull, 5 × 32 MiB image",
        unit: "s",
        higherIsBetter: false,
        skiff: summarize(warm.skiff),
        distribution: summarize(warm.distribution),
      });

    const fetches: Record<TargetName, number[]> = { skiff: [], distribution: [] };
    await alternate(
      "herd: 20 clients of one uncached 64 MiB blob via mirror",
      "s",
      false,
      (target, round) =>
        withMirror(target, `herd-${round}`, async (mirror) => {
          const before = upstreamFetches(upstream, herdDigest);
          try {
            return await timed(() =>
              Promise.all(
                Array.from({ length: 20 }, () => pullBlob(mirror.url, "mirror/herd", herdDigest)),
              ),
            );
          } finally {
            fetches[target].push(upstreamFetches(upstream, herdDigest) - before);
          }
        }),
      () => ({ upstreamFetches: { skiff: fetches.skiff, distribution: fetches.distribution } }),
    );
  } finally {
    await upstream.stop();
  }
}

/** Completed upstream GETs of a blob, read from the upstream's access log. */
function upstreamFetches(upstream: ServerProcess, digest: string): number {
  return upstream
    .output()
    .split("\n")
    .filter(
      (line) =>
        line.includes("method=GET") &&
        line.includes(`/blobs/${digest}`) &&
        line.includes("status=200"),
    ).length;
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
    const ready = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then(
      (socket) => {
        socket.end();
        return true;
      },
      () => false,
    );
    if (ready) break;
    await Bun.sleep(50);
  }
  return { port, stop: () => child.kill() };
}

async function withPair(
  binary: string,
  work: string,
  label: string,
  options: Parameters<typeof startTarget>[4],
  run: (pair: Pair) => Promise<void>,
): Promise<void> {
  const pair: Pair = {
    skiff: await startTarget("skiff", binary, work, label, { ...options, redisDb: 0 }),
    distribution: await startTarget("distribution", binary, work, label, {
      ...options,
      redisDb: 1,
    }),
  };
  try {
    await run(pair);
    peakRSS[label] = {
      skiff: await pair.skiff.peakRSS(),
      distribution: await pair.distribution.peakRSS(),
    };
  } finally {
    await pair.skiff.stop();
    await pair.distribution.stop();
  }
}

async function main(): Promise<void> {
  await ensureTools();
  const work = await tempDir("skiff-bench-");
  const disks = await benchDisks(work.path);
  const started = performance.now();
  try {
    const binary = await buildBinary();
    await withPair(
      binary,
      disks.transfers.path,
      "inmemory cache",
      { cache: "inmemory" },
      async (pair) => {
        await loadScenarios(pair, "inmemory cache");
        await transferScenarios(pair, work.path);
      },
    );
    if (wanted("4 kib"))
      await withPair(
        binary,
        disks.smallFiles.path,
        "small pushes",
        { cache: "inmemory" },
        smallPushScenario,
      );
    if (wanted("redis")) {
      const redis = await startRedis();
      try {
        await withPair(
          binary,
          disks.transfers.path,
          "redis cache",
          { cache: "redis", redisPort: redis.port },
          (pair) => loadScenarios(pair, "redis cache"),
        );
      } finally {
        redis.stop();
      }
    }
    await mirrorScenarios(binary, disks.transfers.path);
    await s3Scenarios(binary, work.path);
  } finally {
    await disks.release();
    await work.cleanup();
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${process.platform}/${process.arch}, Bun ${Bun.version}`;
  await writeReport(
    {
      machine,
      storage: disks.description,
      date: new Date().toISOString(),
      rounds,
      seconds,
      connections,
      results,
      peakRSS,
      durationSeconds: (performance.now() - started) / 1000,
    },
    only === undefined,
  );
}

await main();
