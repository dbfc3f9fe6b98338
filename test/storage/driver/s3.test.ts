import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { S3Driver } from "../../../src/storage/driver/s3.ts";
import { type S3Server, s3rverCredentials, startS3rver } from "../../support/s3rver.ts";
import { driverSuite } from "./suite.ts";

let server: S3Server;
beforeAll(async () => {
  server = await startS3rver();
});
afterAll(() => server.stop());

const driverAt = (rootdirectory: string) =>
  new S3Driver({
    ...s3rverCredentials,
    bucket: server.bucket,
    regionendpoint: server.endpoint,
    rootdirectory,
    forcepathstyle: true,
  });

/** Every case gets its own prefix in the one bucket: a fresh, empty driver. */
driverSuite(
  "s3",
  async () => ({ driver: driverAt(`suite/${crypto.randomUUID()}`), cleanup: async () => {} }),
  {
    atomicUnderConcurrentWrites: false,
  },
);

describe("s3 driver specifics", () => {
  test("keys live under rootdirectory; a presigned URL serves the object", async () => {
    const driver = driverAt("specific/root");
    await driver.putContent("/docker/registry/v2/x", "presigned content");
    const url = await driver.redirectURL("/docker/registry/v2/x", "GET");
    expect(url).toContain("/specific/root/docker/registry/v2/x");
    expect(await (await fetch(url as string)).text()).toBe("presigned content");
  });
});
