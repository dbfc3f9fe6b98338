import { loadConfig } from "../config/load.ts";
import { silentLogger } from "../log.ts";
import { buildRegistry } from "../wire.ts";
import type { CommandIO } from "./garbagecollect.ts";
import { formatBytes, type ImageProgress, TerminalRenderer } from "./progress.ts";

export const warmUsage = `usage: skiff warm [--registry URL | --config config.yml] [--platform os/arch]
                 [--concurrency N] [--file refs.txt] [ref ...]
  ref: name:tag or name@sha256:... (one per line in --file; # starts a comment)
`;

type Fetcher = (path: string, init?: RequestInit) => Promise<Response>;

interface WarmOptions {
  readonly fetcher: Fetcher;
  readonly platform?: { os: string; architecture: string };
  readonly concurrency: number;
}

interface Totals {
  fetched: number;
  cached: number;
  failures: string[];
}

const manifestAccept = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/**
 * `skiff warm`: pulls images through a mirror so later pulls are served locally — every
 * platform of an index, or the one chosen with --platform. Through a running registry
 * (--registry, default http://127.0.0.1:5000) or straight against the storage (--config).
 */
export async function runWarm(args: string[], io: CommandIO): Promise<number> {
  const parsed = await parseArgs(args);
  if (typeof parsed === "string") {
    io.err(`${parsed}\n${warmUsage}`);
    return 2;
  }
  const { refs, registry, config, platform, concurrency } = parsed;
  let close = async () => {};
  let fetcher: Fetcher;
  if (config) {
    const local = buildRegistry(loadConfig({ path: config, env: process.env }), silentLogger);
    await local.start();
    close = () => local.close();
    fetcher = (path, init) => local.app.handle(new Request(`http://127.0.0.1${path}`, init));
  } else {
    fetcher = (path, init) => fetch(`${registry.replace(/\/+$/, "")}${path}`, init);
  }
  const totals: Totals = { fetched: 0, cached: 0, failures: [] };
  const images: ImageProgress[] = refs.map((ref) => ({ ref, total: 0, done: 0, state: "running" }));
  const renderer = io.isTTY ? new TerminalRenderer(io.err) : undefined;
  const redraw = renderer ? () => renderer.draw(images) : () => {};
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, images.length) }, async () => {
        while (next < images.length) {
          const image = images[next++] as ImageProgress;
          await warmImage(image, { fetcher, platform, concurrency }, totals, redraw).then(
            () => {
              image.state = "done";
              if (!renderer) io.out(`warmed ${image.ref}: ${formatBytes(image.total)}\n`);
            },
            (err: Error) => {
              image.state = "failed";
              totals.failures.push(`${image.ref}: ${err.message}`);
              if (!renderer) io.out(`failed ${image.ref}: ${err.message}\n`);
            },
          );
          redraw();
        }
      }),
    );
  } finally {
    await close();
  }
  for (const failure of totals.failures) io.err(`error: ${failure}\n`);
  io.out(
    `${refs.length - totals.failures.length} of ${refs.length} images warmed: ${formatBytes(totals.fetched)} fetched from upstream, ${formatBytes(totals.cached)} already cached\n`,
  );
  return totals.failures.length > 0 ? 1 : 0;
}

async function warmImage(
  image: ImageProgress,
  options: WarmOptions,
  totals: Totals,
  redraw: () => void,
): Promise<void> {
  const { name, reference } = splitRef(image.ref);
  const manifests = await resolveManifests(name, reference, options);
  const blobs = manifests
    .flatMap((manifest) => [manifest.config, ...manifest.layers])
    .filter((blob) => blob !== undefined);
  const unique = [...new Map(blobs.map((blob) => [blob.digest, blob])).values()];
  image.total = unique.reduce((sum, blob) => sum + blob.size, 0);
  redraw();
  for (const blob of unique) {
    const response = await options.fetcher(`/v2/${name}/blobs/${blob.digest}`);
    if (!response.ok || !response.body)
      throw new Error(`blob ${blob.digest}: HTTP ${response.status}`);
    let received = 0;
    for await (const chunk of response.body) {
      received += chunk.byteLength;
      image.done += chunk.byteLength;
      redraw();
    }
    if (response.headers.get("x-cache") === "MISS") totals.fetched += received;
    else totals.cached += received;
  }
}

interface ImageManifest {
  readonly config?: { digest: string; size: number };
  readonly layers: { digest: string; size: number }[];
}

async function resolveManifests(
  name: string,
  reference: string,
  options: WarmOptions,
): Promise<ImageManifest[]> {
  const response = await options.fetcher(`/v2/${name}/manifests/${reference}`, {
    headers: { Accept: manifestAccept },
  });
  if (!response.ok) throw new Error(`manifest ${reference}: HTTP ${response.status}`);
  const manifest = (await response.json()) as {
    manifests?: { digest: string; platform?: { os?: string; architecture?: string } }[];
    config?: { digest: string; size: number };
    layers?: { digest: string; size: number }[];
  };
  if (!manifest.manifests) return [{ config: manifest.config, layers: manifest.layers ?? [] }];
  const wanted = options.platform;
  const children = manifest.manifests.filter(
    (child) =>
      !wanted ||
      (child.platform?.os === wanted.os && child.platform?.architecture === wanted.architecture),
  );
  if (children.length === 0)
    throw new Error(`no ${wanted?.os}/${wanted?.architecture} image in ${reference}`);
  const nested = await Promise.all(
    children.map((child) => resolveManifests(name, child.digest, options)),
  );
  return nested.flat();
}

function splitRef(ref: string): { name: string; reference: string } {
  const at = ref.indexOf("@");
  if (at > 0) return { name: ref.slice(0, at), reference: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(":");
  if (colon > ref.lastIndexOf("/"))
    return { name: ref.slice(0, colon), reference: ref.slice(colon + 1) };
  return { name: ref, reference: "latest" };
}

interface ParsedArgs {
  refs: string[];
  registry: string;
  config?: string;
  platform?: { os: string; architecture: string };
  concurrency: number;
}

async function parseArgs(args: string[]): Promise<ParsedArgs | string> {
  const parsed: ParsedArgs = { refs: [], registry: "http://127.0.0.1:5000", concurrency: 4 };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const value = () => args[++i] ?? "";
    if (arg === "--registry") parsed.registry = value();
    else if (arg === "--config") parsed.config = value();
    else if (arg === "--concurrency") parsed.concurrency = Math.max(1, Number(value()) || 1);
    else if (arg === "--platform") {
      const [os, architecture] = value().split("/");
      if (!os || !architecture) return "--platform takes os/architecture, e.g. linux/amd64";
      parsed.platform = { os, architecture };
    } else if (arg === "--file") {
      const text = await Bun.file(value())
        .text()
        .catch(() => undefined);
      if (text === undefined) return `cannot read ${args[i]}`;
      parsed.refs.push(
        ...text
          .split("\n")
          .map((line) => line.replace(/#.*/, "").trim())
          .filter(Boolean),
      );
    } else if (arg.startsWith("--")) return `unknown flag ${arg}`;
    else parsed.refs.push(arg);
  }
  return parsed.refs.length > 0 ? parsed : "no image references given";
}
