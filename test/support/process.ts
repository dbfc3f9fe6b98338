import { mkdtemp, rm, statfs, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const repoRoot = resolve(import.meta.dir, "../..");
export const bunBinary = process.execPath;

/** A free loopback port (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => done(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export function commandExists(name: string): boolean {
  return Bun.which(name) !== null;
}

/**
 * Tests that need an external tool skip when it is missing on a developer machine, but fail
 * in CI (`CI=true`), where `.ci/run` installs it: CI can never skip them silently.
 */
export function requireTools(...names: string[]): boolean {
  const missing = names.filter((name) => !commandExists(name));
  if (missing.length === 0) return true;
  if (process.env.CI === "true")
    throw new Error(`required tools missing in CI: ${missing.join(", ")}`);
  console.warn(`skipping: ${missing.join(", ")} not installed`);
  return false;
}

/** Bytes an unprivileged writer can still put on the file system holding `path`. */
export async function freeBytes(path: string): Promise<number> {
  const stats = await statfs(path);
  return stats.bavail * stats.bsize;
}

const logTailChars = 20_000;
const tail = (text: string) =>
  text.length <= logTailChars ? text : `[...]${text.slice(text.length - logTailChars)}`;

/**
 * Wraps a test body so that, when it fails, the error carries what the servers wrote: a red
 * test in CI then shows the server's side of the story next to the client's.
 */
export function logsOnFailure(
  servers: () => readonly (ServerProcess | undefined)[],
): (body: () => Promise<void>) => () => Promise<void> {
  return (body) => async () => {
    try {
      await body();
    } catch (error) {
      const logs = servers()
        .filter((server): server is ServerProcess => server !== undefined)
        .map((server) => `--- ${server.command} on ${server.host} ---\n${tail(server.output())}`)
        .join("\n");
      if (error instanceof Error) error.message = `${error.message}\n\nserver output:\n${logs}`;
      throw error;
    }
  };
}

/** Compiles `dist/skiff` from the current sources. */
export async function buildBinary(): Promise<string> {
  const build = Bun.spawn([bunBinary, "run", "build"], {
    cwd: repoRoot,
    stdout: "pipe",
    stderr: "pipe",
  });
  // Read the pipes while the build runs: a full pipe would stall it.
  const [stdout, stderr, code] = await Promise.all([
    new Response(build.stdout).text(),
    new Response(build.stderr).text(),
    build.exited,
  ]);
  if (code !== 0) throw new Error(`build failed (${code}):\n${stdout}\n${stderr}`);
  return join(repoRoot, "dist", "skiff");
}

export interface ServerProcess {
  /** The program that was started (for logs). */
  readonly command: string;
  readonly url: string;
  readonly host: string;
  readonly pid: number;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
  /** Peak resident set size of the process so far, in bytes (Linux `VmHWM`). */
  peakRSS(): Promise<number>;
  stop(): Promise<number>;
}

export async function tempDir(
  prefix = "skiff-e2e-",
): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/**
 * Starts a registry process (skiff or Distribution) and waits until `/v2/` answers (401 counts:
 * the registry is up). With `tls.ca`, it is reached over HTTPS trusting that certificate.
 */
export async function startServer(
  command: string[],
  port: number,
  cwd?: string,
  tls?: { ca: string },
): Promise<ServerProcess> {
  const child = Bun.spawn(command, {
    cwd,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env },
  });
  let output = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) output += decoder.decode(chunk, { stream: true });
  };
  void collect(child.stdout);
  void collect(child.stderr);
  const host = `127.0.0.1:${port}`;
  const url = `${tls ? "https" : "http"}://${host}`;
  const fetchOptions = tls ? { tls: { ca: await Bun.file(tls.ca).text() } } : {};
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null)
      throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    const ok = await fetch(`${url}/v2/`, fetchOptions).then(
      (r) => r.status === 200 || r.status === 401,
      () => false,
    );
    if (ok) break;
    if (attempt > 200) {
      child.kill();
      throw new Error(`server did not answer on ${url}:\n${output}`);
    }
    await Bun.sleep(50);
  }
  return {
    command: command[0] ?? "",
    url,
    host,
    pid: child.pid,
    output: () => output,
    peakRSS: async () => {
      const status = await Bun.file(`/proc/${child.pid}/status`).text();
      const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
      return Number(kb ?? 0) * 1024;
    },
    stop: async () => {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await child.exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Writes a config file for skiff or Distribution: filesystem storage under `root`. */
export async function writeConfig(
  dir: string,
  port: number,
  root: string,
  extra = "",
): Promise<string> {
  const path = join(dir, `config-${port}.yml`);
  await writeFile(
    path,
    `version: 0.1
log:
  level: warn
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: ${root}
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:${port}
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
${extra}`,
  );
  return path;
}

/** Runs a command to completion; throws with its output when it fails. */
export async function run(command: string[], cwd?: string): Promise<string> {
  const child = Bun.spawn(command, { cwd, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`${command.join(" ")} exited ${code}:\n${stdout}\n${stderr}`);
  return stdout;
}

/** The manifest digest skopeo sees for an image reference (`docker://host/name:tag`). */
export async function skopeoDigest(reference: string, ...flags: string[]): Promise<string> {
  const flagsOrPlain = flags.length > 0 ? flags : ["--tls-verify=false"];
  return (
    await run(["skopeo", "inspect", ...flagsOrPlain, "--format", "{{.Digest}}", reference])
  ).trim();
}

export interface MirrorPair {
  readonly upstream: ServerProcess;
  readonly mirror: ServerProcess;
  stop(): Promise<void>;
}

/**
 * Two compiled instances: an upstream registry, and a mirror of it under `prefix`, each on its
 * own data folder below `dir`.
 */
export async function startMirrorPair(
  binary: string,
  dir: string,
  prefix: string,
): Promise<MirrorPair> {
  const upstreamPort = await freePort();
  const upstream = await startServer(
    [binary, "serve", await writeConfig(dir, upstreamPort, join(dir, "upstream"))],
    upstreamPort,
  );
  const mirrorPort = await freePort();
  const proxies = `proxies:\n  - prefix: ${prefix}\n    remoteurl: ${upstream.url}\n    ttl: 1h\n`;
  const mirror = await startServer(
    [binary, "serve", await writeConfig(dir, mirrorPort, join(dir, "mirror"), proxies)],
    mirrorPort,
  );
  return {
    upstream,
    mirror,
    stop: async () => {
      await mirror.stop();
      await upstream.stop();
    },
  };
}

/** Pushes an OCI layout image to a registry with skopeo. */
export async function skopeoPush(
  image: { dir: string; tag: string },
  reference: string,
): Promise<void> {
  await run([
    "skopeo",
    "copy",
    "--dest-tls-verify=false",
    `oci:${image.dir}:${image.tag}`,
    reference,
  ]);
}
