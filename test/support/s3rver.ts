import { join } from "node:path";
import { freePort, repoRoot, tempDir } from "./process.ts";

export interface S3Server {
  readonly endpoint: string;
  readonly bucket: string;
  stop(): Promise<void>;
}

/**
 * A real S3 protocol peer on loopback: s3rver (npm), run with Node in its own process, with one
 * bucket. Credentials are s3rver's fixed pair.
 */
export async function startS3rver(bucket = "skiff-test"): Promise<S3Server> {
  const dir = await tempDir("skiff-s3rver-");
  const port = await freePort();
  const child = Bun.spawn(
    [
      "node",
      join(repoRoot, "node_modules/s3rver/bin/s3rver.js"),
      "-d",
      dir.path,
      "-a",
      "127.0.0.1",
      "-p",
      String(port),
      "--configure-bucket",
      bucket,
      "--silent",
    ],
    {
      stdout: "ignore",
      stderr: "pipe",
    },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    if (
      await fetch(`${endpoint}/${bucket}`).then(
        () => true,
        () => false,
      )
    )
      break;
    if (child.exitCode !== null || attempt > 200) {
      child.kill();
      throw new Error(`s3rver did not start: ${await new Response(child.stderr).text()}`);
    }
    await Bun.sleep(50);
  }
  return {
    endpoint,
    bucket,
    stop: async () => {
      child.kill();
      await child.exited;
      await dir.cleanup();
    },
  };
}

export const s3rverCredentials = { accesskey: "S3RVER", secretkey: "S3RVER" } as const;
