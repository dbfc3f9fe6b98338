import { drain } from "./bodies.ts";

/** Registry client flows both servers support (Distribution 2.8 lacks single-request POST). */
export async function startUpload(url: string, name: string): Promise<URL> {
  const response = await fetch(`${url}/v2/${name}/blobs/uploads/`, { method: "POST" });
  if (response.status !== 202) throw new Error(`start upload: ${response.status}`);
  await response.arrayBuffer();
  return new URL(response.headers.get("location") ?? "", url);
}

export async function pushMonolithic(
  url: string,
  name: string,
  body: ReadableStream<Uint8Array> | Uint8Array,
  digest: string,
): Promise<void> {
  const location = await startUpload(url, name);
  location.searchParams.set("digest", digest);
  const response = await fetch(location, {
    method: "PUT",
    body,
    headers: { "Content-Type": "application/octet-stream" },
  });
  if (response.status !== 201) throw new Error(`push: ${response.status} ${await response.text()}`);
}

/**
 * Pulls a blob with curl, a separate C client, so the measurement is the server's and not the
 * benchmark runtime's HTTP client. Returns MiB/s.
 */
export async function curlPull(url: string, name: string, digest: string): Promise<number> {
  const child = Bun.spawn(
    [
      "curl",
      "-s",
      "-f",
      // Follow a presigned redirect to object storage, as registry clients do.
      "-L",
      "-o",
      "/dev/null",
      "-w",
      "%{speed_download}",
      `${url}/v2/${name}/blobs/${digest}`,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const output = await new Response(child.stdout).text();
  if ((await child.exited) !== 0)
    throw new Error(`curl pull failed: ${await new Response(child.stderr).text()}`);
  return Number(output) / (1024 * 1024);
}

export async function pullBlob(url: string, name: string, digest: string): Promise<number> {
  const response = await fetch(`${url}/v2/${name}/blobs/${digest}`);
  if (response.status !== 200)
    throw new Error(`pull ${url} ${digest}: ${response.status} ${await response.text()}`);
  return drain(response);
}

/** Pulls an image: manifest by tag, then config and layers in parallel. */
export async function pullImage(url: string, name: string, tag: string): Promise<number> {
  const accept =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
  const response = await fetch(`${url}/v2/${name}/manifests/${tag}`, {
    headers: { Accept: accept },
  });
  if (response.status !== 200)
    throw new Error(`manifest: ${response.status} ${await response.text()}`);
  const manifest = (await response.json()) as {
    config: { digest: string };
    layers: { digest: string }[];
  };
  const sizes = await Promise.all(
    [manifest.config, ...manifest.layers].map((d) => pullBlob(url, name, d.digest)),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

export async function timed<T>(work: () => Promise<T>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

/** What curl printed: the response headers, and the time the exchange took by curl's clock. */
interface CurlResult {
  readonly headers: Headers;
  readonly seconds: number;
}

/**
 * Runs curl, failing on an unexpected status. Bodies are streamed from their file
 * (`--upload-file`), and the time is curl's own, from connecting to the last response byte:
 * neither process start-up nor reading a file into memory counts against the server.
 */
async function curl(args: string[], expected: number): Promise<CurlResult> {
  // No "Expect: 100-continue": its interim answer would be read as the status.
  const child = Bun.spawn(
    ["curl", "-s", "-H", "Expect:", "-D", "-", "-o", "/dev/null", "-w", "\n%{time_total}", ...args],
    { stdout: "pipe", stderr: "pipe" },
  );
  const output = await new Response(child.stdout).text();
  if ((await child.exited) !== 0)
    throw new Error(`curl failed: ${await new Response(child.stderr).text()}`);
  const lines = output.trim().split(/\r?\n/);
  const seconds = Number(lines.pop());
  const [status, ...headerLines] = lines;
  const code = Number(status?.split(" ")[1]);
  if (code !== expected) throw new Error(`curl ${args.join(" ")}: ${status}`);
  const headers = new Headers();
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return { headers, seconds };
}

function withDigest(location: URL, digest: string): string {
  location.searchParams.set("digest", digest);
  return location.toString();
}

/** Monolithic push: POST, then PUT with the whole body streamed by curl. Returns seconds. */
export async function curlPushMonolithic(
  url: string,
  name: string,
  file: string,
  digest: string,
): Promise<number> {
  const start = performance.now();
  const location = await startUpload(url, name);
  const started = (performance.now() - start) / 1000;
  const put = await curl(
    [
      "-X",
      "PUT",
      "-H",
      "Content-Type: application/octet-stream",
      "--upload-file",
      file,
      withDigest(location, digest),
    ],
    201,
  );
  return started + put.seconds;
}

/** Chunked push: POST, one PATCH per chunk file with its Content-Range, then PUT. Returns seconds. */
export async function curlPushChunked(
  url: string,
  name: string,
  chunks: { file: string; size: number }[],
  digest: string,
): Promise<number> {
  const start = performance.now();
  let location = await startUpload(url, name);
  let seconds = (performance.now() - start) / 1000;
  let offset = 0;
  for (const chunk of chunks) {
    const range = `${offset}-${offset + chunk.size - 1}`;
    const patch = await curl(
      [
        "-X",
        "PATCH",
        "-H",
        `Content-Range: ${range}`,
        "-H",
        "Content-Type: application/octet-stream",
        "--upload-file",
        chunk.file,
        location.toString(),
      ],
      202,
    );
    location = new URL(patch.headers.get("location") ?? "", url);
    seconds += patch.seconds;
    offset += chunk.size;
  }
  const put = await curl(["-X", "PUT", withDigest(location, digest)], 201);
  return seconds + put.seconds;
}
