import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type LayoutImage, writeOciLayout } from "../support/ocilayout.ts";
import {
  buildBinary,
  freePort,
  requireTools,
  run,
  type ServerProcess,
  skopeoDigest,
  startServer,
  tempDir,
} from "../support/process.ts";

const enabled = requireTools("skopeo", "openssl");

/** skopeo against the compiled binary with htpasswd auth over TLS (self-signed, --cert-dir). */
describe.skipIf(!enabled)("skopeo with htpasswd and TLS", () => {
  let work: Awaited<ReturnType<typeof tempDir>>;
  let server: ServerProcess;
  let image: LayoutImage;
  let certDir: string;
  let host: string;

  beforeAll(async () => {
    work = await tempDir();
    const binary = await buildBinary();
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    certDir = join(work.path, "certs");
    await mkdir(certDir);
    const key = join(work.path, "tls.key");
    const cert = join(certDir, "ca.crt");
    await run([
      "openssl",
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ]);
    const hash = await Bun.password.hash("s3cret", { algorithm: "bcrypt", cost: 5 });
    const htpasswd = join(work.path, "htpasswd");
    await Bun.write(htpasswd, `ci:${hash.replace("$2b$", "$2y$")}\n`);
    const config = join(work.path, "config.yml");
    await Bun.write(
      config,
      `version: 0.1\nlog: {level: warn}\nstorage:\n  filesystem: {rootdirectory: ${join(work.path, "data")}}\n  delete: {enabled: true}\nhttp:\n  addr: ${host}\n  tls:\n    certificate: ${cert}\n    key: ${key}\nauth:\n  htpasswd:\n    realm: skiff\n    path: ${htpasswd}\n`,
    );
    server = await startServer([binary, "serve", config], port, undefined, { ca: cert });
    image = await writeOciLayout(join(work.path, "image"), {
      layers: 2,
      layerSize: 128 * 1024,
      seed: 5,
    });
  });

  afterAll(async () => {
    await server?.stop();
    await work?.cleanup();
  });

  test("push and pull with --creds over TLS with the self-signed certificate", async () => {
    await run([
      "skopeo",
      "copy",
      "--dest-cert-dir",
      certDir,
      "--dest-creds",
      "ci:s3cret",
      `oci:${image.dir}:${image.tag}`,
      `docker://${host}/secure/app:v1`,
    ]);
    const digest = await skopeoDigest(
      `docker://${host}/secure/app:v1`,
      "--cert-dir",
      certDir,
      "--creds",
      "ci:s3cret",
    );
    expect(digest).toBe(image.manifestDigest);
  });

  test("skopeo login, then pull; wrong credentials fail", async () => {
    const authfile = join(work.path, "auth.json");
    await run([
      "skopeo",
      "login",
      "--cert-dir",
      certDir,
      "--authfile",
      authfile,
      "--username",
      "ci",
      "--password",
      "s3cret",
      host,
    ]);
    const out = join(work.path, "pulled");
    await run([
      "skopeo",
      "copy",
      "--src-cert-dir",
      certDir,
      "--authfile",
      authfile,
      `docker://${host}/secure/app:v1`,
      `oci:${out}:v1`,
    ]);
    await expect(
      run([
        "skopeo",
        "inspect",
        "--cert-dir",
        certDir,
        "--creds",
        "ci:wrong",
        `docker://${host}/secure/app:v1`,
      ]),
    ).rejects.toThrow();
  });
});
