import { mkdir, rm, statfs } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../test/support/process.ts";

export interface BenchDisk {
  /** Where both registries keep their data (and their config files). */
  readonly path: string;
  /** What the data was stored on, for the report. */
  readonly description: string;
  release(): Promise<void>;
}

/** Where each kind of scenario keeps its data. */
export interface BenchDisks {
  /** Large transfers, load and mirror scenarios. */
  readonly transfers: BenchDisk;
  /** The many small pushes, which create and delete thousands of files. */
  readonly smallFiles: BenchDisk;
  /** One line for the report. */
  readonly description: string;
  release(): Promise<void>;
}

const workFolder = (work: string): BenchDisk => ({
  path: work,
  description: `a temporary folder on this machine's disk (${work})`,
  release: async () => {},
});

/**
 * Small-file scenarios on a long-lived filesystem depend on its history: an ext4 without a
 * journal (this machine's root) skips every inode deleted in the last minute (five, while its
 * table block is dirty) when it allocates one, by reading each of them, so a registry's file
 * creations slow down with every upload folder removed before them, by either registry or an
 * earlier run. A fresh ext4 with a journal, as production filesystems have, makes those rounds
 * comparable. Large transfers stay on the machine's disk: through a loop device every sync goes
 * to the file below as well, which halves both registries' push rates.
 *
 * `BENCH_DISK=loop` puts everything on the fresh ext4, `BENCH_DISK=work` nothing.
 */
export async function benchDisks(work: string): Promise<BenchDisks> {
  const choice = process.env.BENCH_DISK;
  const fresh = choice === "work" ? undefined : await freshExt4(work);
  const onDisk = workFolder(work);
  const transfers = choice === "loop" && fresh ? fresh : onDisk;
  const smallFiles = fresh ?? onDisk;
  const description =
    transfers === smallFiles
      ? transfers.description
      : `${transfers.description}; small pushes on ${smallFiles.description}`;
  return {
    transfers,
    smallFiles,
    description,
    release: () => fresh?.release() ?? Promise.resolve(),
  };
}

/** A fresh journaled ext4 in a sparse file, loop-mounted; undefined where that is not possible. */
async function freshExt4(work: string): Promise<BenchDisk | undefined> {
  if (process.getuid?.() !== 0 || !Bun.which("mkfs.ext4") || !Bun.which("mount")) {
    console.log("a fresh ext4 needs root, mkfs.ext4 and mount; using a temporary folder");
    return undefined;
  }
  const image = join(work, "disk.img");
  const mountPoint = join(work, "disk");
  const free = await statfs(work).then((s) => s.bavail * s.bsize);
  // Sparse: only what the registries write takes space, a few GiB in all.
  const size = Math.min(16 * 2 ** 30, Math.floor(free * 0.8));
  if (size < 6 * 2 ** 30) return undefined;
  try {
    await run(["truncate", "-s", String(size), image]);
    // One inode per 4 KiB: small pushes use inodes faster than blocks.
    await run(["mkfs.ext4", "-q", "-F", "-i", "4096", image]);
    await mkdir(mountPoint, { recursive: true });
    await run(["mount", "-o", "loop", image, mountPoint]);
  } catch (err) {
    console.log(`loop-mounted ext4 unavailable (${(err as Error).message}); using ${work}`);
    await rm(image, { force: true });
    return undefined;
  }
  return {
    path: mountPoint,
    description: "a fresh ext4 with a journal, loop-mounted for this run",
    release: async () => {
      await run(["umount", mountPoint]).catch((err) => console.log(String(err)));
      await rm(image, { force: true });
    },
  };
}

/** Memory the scratch file recycles: three times the largest transfer, 256 MiB. */
const warmMiB = 768;

/**
 * Run before every measurement. Writes dirty pages out, so one measurement does not pay for the
 * writeback of the last. Then writes and deletes a scratch file, so the page cache the
 * measurement fills reuses memory just freed: this VM returns free memory to its host
 * (virtio-balloon free page reporting), and the first touch of returned memory faults in the
 * host, which made a 256 MiB push take 0.4 s or 1.2 s depending on which pages it was given.
 * Both registries get the same treatment; a long-running server's page cache recycles its own.
 */
export async function settle(): Promise<void> {
  await run(["sync"]);
  const scratch = join(tmpdir(), `skiff-bench-warm-${process.pid}`);
  await run(["dd", "if=/dev/zero", `of=${scratch}`, "bs=1M", `count=${warmMiB}`]);
  await rm(scratch, { force: true });
}
