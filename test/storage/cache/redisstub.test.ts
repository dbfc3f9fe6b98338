import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { Redis, type RedisOptions } from "ioredis";
import { RedisStub } from "../../support/redisstub.ts";

/** A plain ioredis client, connected, that fails fast instead of queueing while offline. */
async function connect(stub: RedisStub, options: RedisOptions = {}): Promise<Redis> {
  const client = new Redis(stub.port, "127.0.0.1", {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 20,
    ...options,
  });
  client.on("error", () => {});
  await client.connect();
  return client;
}

describe("the Redis stub", () => {
  let stub: RedisStub;
  const clients: Redis[] = [];
  const client = async (options?: RedisOptions) => {
    const created = await connect(stub, options);
    clients.push(created);
    return created;
  };

  beforeEach(async () => {
    stub = await RedisStub.start();
  });
  afterEach(() => {
    for (const created of clients.splice(0)) created.disconnect();
    stub.stop();
  });

  for (const protocol of [2, 3] as const) {
    test(`hashes and sets behave like Redis over RESP${protocol}`, async () => {
      const redis = await client({ protocol });
      expect(await redis.hset("h", "a", "1", "b", "2")).toBe(2);
      expect(await redis.hset("h", "a", "one")).toBe(0);
      expect(await redis.hsetnx("h", "a", "ignored")).toBe(0);
      expect(await redis.hsetnx("h", "c", "3")).toBe(1);
      expect(await redis.hgetall("h")).toEqual({ a: "one", b: "2", c: "3" });
      expect(await redis.hmget("h", "a", "missing")).toEqual(["one", null]);
      expect(await redis.hget("h", "missing")).toBeNull();
      expect(await redis.hdel("h", "a", "b", "c")).toBe(3);
      expect(await redis.exists("h")).toBe(0);

      expect(await redis.sadd("s", "x", "y", "x")).toBe(2);
      expect(await redis.sismember("s", "x")).toBe(1);
      expect((await redis.smembers("s")).sort()).toEqual(["x", "y"]);
      expect(await redis.srem("s", "x", "nope")).toBe(1);
      expect(await redis.keys("*")).toEqual(["s"]);
      expect(await redis.del("s", "h")).toBe(1);
      expect(await redis.keys("*")).toEqual([]);
    });
  }

  test("logs every command with its arguments, handshake included", async () => {
    const redis = await client();
    await redis.hset("blobs::x", "size", "3");
    expect(stub.commandNames()).toContain("hello");
    expect(stub.commandNames()).toContain("info");
    expect(stub.commands.at(-1)).toEqual(["hset", "blobs::x", "size", "3"]);
    stub.clearLog();
    expect(stub.commands).toEqual([]);
  });

  test("MULTI/EXEC runs queued commands together and arrives in one read", async () => {
    const redis = await client();
    await redis.ping();
    stub.clearLog();
    const results = await redis.multi().sadd("s", "a").sismember("s", "a").exec();
    expect(results).toEqual([
      [null, 1],
      [null, 1],
    ]);
    expect(stub.batches).toEqual([
      [["multi"], ["sadd", "s", "a"], ["sismember", "s", "a"], ["exec"]],
    ]);
    await expect(redis.exec()).rejects.toThrow("EXEC without MULTI");
    await expect(redis.multi().call("nosuchcommand").exec()).rejects.toThrow("EXECABORT");
  });

  test("type errors, arity errors and injected failures are error replies", async () => {
    const redis = await client();
    await redis.sadd("set", "a");
    await expect(redis.hget("set", "f")).rejects.toThrow("WRONGTYPE");
    await expect(redis.call("hset", "h", "only-a-field")).rejects.toThrow("wrong number");
    stub.failing.add("hget");
    await expect(redis.hget("h", "f")).rejects.toThrow("injected failure");
  });

  test("SELECT picks a separate keyspace; FLUSHDB empties only that one", async () => {
    const zero = await client();
    const three = await client({ db: 3 });
    await zero.hset("k", "f", "zero");
    await three.hset("k", "f", "three");
    expect(await zero.hget("k", "f")).toBe("zero");
    expect(await three.hget("k", "f")).toBe("three");
    await three.flushdb();
    expect(await three.exists("k")).toBe(0);
    expect(await zero.exists("k")).toBe(1);
  });

  test("stop and start keep the port and the data; a client reconnects by itself", async () => {
    const redis = await client();
    await redis.hset("survives", "f", "v");
    const port = stub.port;
    stub.stop();
    expect(stub.running).toBe(false);
    await expect(redis.ping()).rejects.toThrow();
    stub.start();
    expect(stub.port).toBe(port);
    await new Promise((resolve) => redis.once("ready", resolve));
    expect(await redis.hget("survives", "f")).toBe("v");
  });

  test("a stalled stub answers nothing until it resumes, then answers in order", async () => {
    const redis = await client();
    stub.stall();
    let answered = false;
    const pending = redis.echo("late").then((value) => {
      answered = true;
      return value;
    });
    await Bun.sleep(50);
    expect(answered).toBe(false);
    stub.resume();
    expect(await pending).toBe("late");
  });

  test("answers inline commands from a raw socket", async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      Bun.connect({
        hostname: "127.0.0.1",
        port: stub.port,
        socket: {
          open: (socket) => void socket.write("PING\r\n"),
          data: (socket, data) => {
            resolve(data.toString());
            socket.end();
          },
          error: (_, error) => reject(error),
        },
      }).catch(reject);
    });
    expect(reply).toBe("+PONG\r\n");
  });
});

describe("the Redis stub with a password", () => {
  let stub: RedisStub;
  beforeEach(async () => {
    stub = await RedisStub.start({ password: "s3cret" });
  });
  afterEach(() => stub.stop());

  test("refuses commands until the client authenticates", async () => {
    // Over RESP3 an unauthenticated HELLO already fails the handshake, as with a real server.
    const anonymous = await connect(stub, { protocol: 2, enableReadyCheck: false });
    await expect(anonymous.hget("k", "f")).rejects.toThrow("NOAUTH");
    anonymous.disconnect();

    const authenticated = await connect(stub, { password: "s3cret" });
    expect(await authenticated.ping()).toBe("PONG");
    authenticated.disconnect();
  });

  for (const protocol of [2, 3] as const) {
    test(`a wrong password is refused (RESP${protocol} handshake)`, async () => {
      const errors: string[] = [];
      const redis = new Redis(stub.port, "127.0.0.1", {
        lazyConnect: true,
        password: "wrong",
        protocol,
        retryStrategy: () => null,
      });
      redis.on("error", (error: Error) => errors.push(error.message));
      await expect(redis.connect()).rejects.toThrow();
      expect(errors.join("\n")).toContain("WRONGPASS");
    });
  }
});

/** The same commands against the stub and a real server must get the same answers. */
async function script(redis: Redis): Promise<unknown[]> {
  const answer = (promise: Promise<unknown>) =>
    promise.catch((error: Error) => `error ${error.message.split(" ")[0]}`);
  await redis.flushdb();
  return [
    await answer(redis.hset("blobs::d", "digest", "d", "size", "1")),
    await answer(redis.hsetnx("blobs::d", "mediatype", "a/b")),
    await answer(redis.hsetnx("blobs::d", "mediatype", "c/d")),
    await answer(redis.hgetall("blobs::d")),
    await answer(redis.hmget("blobs::d", "digest", "size", "mediatype", "length")),
    await answer(redis.hget("repository::r::blobs::d", "mediatype")),
    await answer(redis.sadd("repository::r::blobs", "d", "e")),
    await answer(redis.sismember("repository::r::blobs", "d")),
    await answer(redis.multi().srem("repository::r::blobs", "d").del("nothing").exec()),
    await answer(redis.smembers("repository::r::blobs")),
    await answer(redis.hget("repository::r::blobs", "f")),
    await answer(redis.exec()),
    await answer(redis.hdel("blobs::d", "digest", "size", "mediatype")),
    await answer(redis.exists("blobs::d", "repository::r::blobs")),
    await answer(redis.del("repository::r::blobs")),
  ];
}

const realRedis = process.env.REDIS_URL;
describe.if(realRedis !== undefined)("the Redis stub next to a real server", () => {
  for (const protocol of [2, 3] as const) {
    test(`answers like the real server (RESP${protocol})`, async () => {
      const stub = await RedisStub.start();
      const fake = await connect(stub, { protocol });
      const real = new Redis(realRedis as string, { protocol });
      try {
        expect(await script(fake)).toEqual(await script(real));
      } finally {
        fake.disconnect();
        real.disconnect();
        stub.stop();
      }
    });
  }
});
