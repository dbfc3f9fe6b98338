import { mkdir, rm, statfs } from "node:fs/promises";
import { join } from "node:path";

export interface BenchDisk {
  /** Where both registries keep their data (and their config files). */
  readonly path: string;
  /** One line for the report: what the data was stored on. */
  readonly description: string;
  release(): Promise<void>;
}

async function run(command: string[]): Promise<void> {
  const child = Bun.spawn(command, { stdout: "ignore", stderr: "pipe" });
  if ((await child.exited) !== 0)
    throw new Error(`${command.join(" ")}: ${(await new Response(child.stderr).text()).trim()}`);
}

/**
 * Where both registries keep their data: the work folder on this machine's disk, or with
 * `BENCH_DISK=loop` (as root) a fresh journaled ext4 made for this run in a loop-mounted file.
 * Small-file workloads on a long-lived filesystem depend on its history: an ext4 without a
 * journal (this machine's root) scans recently deleted inodes on every file creation, so earlier
 * runs slow later ones; a new filesystem makes small-push rounds comparable. Its cost is large
 * transfers: every sync goes through the loop device to the file below, halving both registries'
 * push rates, which is why it is not the default.
 */
export async function benchDisk(work: string): Promise<BenchDisk> {
  const image = join(work, "disk.img");
  const mountPoint = join(work, "disk");
  const fallback: BenchDisk = {
    path: work,
    description: `a temporary folder on this machine's disk (${work})`,
    release: async () => {},
  };
  if (process.env.BENCH_DISK !== "loop") return fallback;
  if (process.getuid?.() !== 0 || !Bun.which("mkfs.ext4") || !Bun.which("mount")) {
    console.log("BENCH_DISK=loop needs root, mkfs.ext4 and mount; using a temporary folder");
    return fallback;
  }
  const free = await statfs(work).then((s) => s.bavail * s.bsize);
  // Sparse: only what the registries write takes space, a few GiB in all.
  const size = Math.min(16 * 2 ** 30, Math.floor(free * 0.8));
  if (size < 6 * 2 ** 30) return fallback;
  try {
    await run(["truncate", "-s", String(size), image]);
    await run(["mkfs.ext4", "-q", "-F", image]);
    await mkdir(mountPoint, { recursive: true });
    await run(["mount", "-o", "loop", image, mountPoint]);
  } catch (err) {
    console.log(`loop-mounted ext4 unavailable (${(err as Error).message}); using ${work}`);
    await rm(image, { force: true });
    return fallback;
  }
  return {
    path: mountPoint,
    description: `a fresh ext4 with a journal (mkfs.ext4 defaults), loop-mounted for this run`,
    release: async () => {
      await run(["umount", mountPoint]).catch((err) => console.log(String(err)));
      await rm(image, { force: true });
    },
  };
}

/** Writes dirty pages out, so one measurement does not pay for the writeback of the last. */
export async function settle(): Promise<void> {
  await run(["sync"]);
}
