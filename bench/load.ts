export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly errors: number;
}

/**
 * Drives load with `hey` (Debian package), a separate process, so the load generator is not
 * the runtime being measured. (wrk cannot: it waits for a body after HEAD.)
 */
export async function hey(
  url: string,
  options: {
    method: "GET" | "HEAD";
    connections: number;
    seconds: number;
    headers?: Record<string, string>;
  },
): Promise<LoadResult> {
  const headerArgs = Object.entries(options.headers ?? {}).flatMap(([name, value]) => [
    "-H",
    `${name}: ${value}`,
  ]);
  const child = Bun.spawn(
    [
      "hey",
      "-z",
      `${options.seconds}s`,
      "-c",
      String(options.connections),
      "-m",
      options.method,
      ...headerArgs,
      url,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const output = await new Response(child.stdout).text();
  if ((await child.exited) !== 0)
    throw new Error(`hey failed: ${output}${await new Response(child.stderr).text()}`);
  return parseHey(output);
}

export function parseHey(output: string): LoadResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output)?.[1];
  const p99 = /99%\s+in\s+([\d.]+)\s+secs/.exec(output)?.[1];
  if (!rps || !p99) throw new Error(`cannot parse hey output:\n${output}`);
  const statuses = [...output.matchAll(/\[(\d{3})\]\s+(\d+)\s+responses/g)];
  const errors = statuses
    .filter(([, code]) => !(code as string).startsWith("2"))
    .reduce((sum, [, , count]) => sum + Number(count), 0);
  const failures = /Error distribution:\s*\n\s*\[(\d+)\]/.exec(output)?.[1];
  return {
    requestsPerSecond: Number(rps),
    p99Ms: Number(p99) * 1000,
    errors: errors + Number(failures ?? 0),
  };
}
