import { drain, generated } from "./bodies.ts";

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

export async function pushChunked(
  url: string,
  name: string,
  size: number,
  chunks: number,
  seed: number,
  digest: string,
): Promise<void> {
  let location = await startUpload(url, name);
  const chunkSize = size / chunks;
  const reader = generated(size, seed).getReader();
  for (let i = 0; i < chunks; i++) {
    const chunkBody = take(reader, chunkSize);
    const range = `${i * chunkSize}-${(i + 1) * chunkSize - 1}`;
    const response = await fetch(location, {
      method: "PATCH",
      body: chunkBody,
      headers: {
        "Content-Range": range,
        "Content-Length": String(chunkSize),
        "Content-Type": "application/octet-stream",
      },
    });
    if (response.status !== 202)
      throw new Error(`patch: ${response.status} ${await response.text()}`);
    location = new URL(response.headers.get("location") ?? "", url);
  }
  location.searchParams.set("digest", digest);
  const put = await fetch(location, { method: "PUT" });
  if (put.status !== 201) throw new Error(`commit: ${put.status} ${await put.text()}`);
}

/** The next `length` bytes of a shared reader, as a stream of their own (MiB-aligned). */
function take(
  reader: { read(): Promise<{ value?: Uint8Array; done: boolean }> },
  length: number,
): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent >= length) return controller.close();
      const { value, done } = await reader.read();
      if (done || !value) return controller.close();
      sent += value.byteLength;
      controller.enqueue(value);
    },
  });
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
  if (response.status !== 200) throw new Error(`pull: ${response.status}`);
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
