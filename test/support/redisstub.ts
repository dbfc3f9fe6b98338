import type { Socket, TCPSocketListener } from "bun";

type Reply = string | number | null | Reply[] | { error: string } | { status: string };

interface Connection {
  buffer: Buffer;
  queue: string[][] | undefined;
}

/**
 * An in-memory Redis that speaks RESP over a real loopback socket, so ioredis talks to it
 * unchanged. It logs every command it receives and can be stopped and restarted on the same
 * port to simulate an outage.
 */
export class RedisStub {
  readonly commands: string[][] = [];
  /** Commands grouped by the network read they arrived in: more than one = pipelined. */
  readonly batches: string[][][] = [];
  /** Commands (lowercase) answered with an error reply, to simulate a failing server. */
  readonly failing = new Set<string>();
  private readonly hashes = new Map<string, Map<string, string>>();
  private readonly sets = new Map<string, Set<string>>();
  private listener: TCPSocketListener<Connection> | undefined;
  private readonly sockets = new Set<Socket<Connection>>();
  port = 0;

  static async start(): Promise<RedisStub> {
    const stub = new RedisStub();
    stub.start();
    return stub;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.listener !== undefined;
  }

  start(): void {
    this.listener = Bun.listen<Connection>({
      hostname: "127.0.0.1",
      port: this.port,
      socket: {
        open: (socket) => {
          socket.data = { buffer: Buffer.alloc(0), queue: undefined };
          this.sockets.add(socket);
        },
        data: (socket, data) => this.receive(socket, data),
        close: (socket) => {
          this.sockets.delete(socket);
        },
        error: () => {},
      },
    });
    this.port = this.listener.port;
  }

  /** Closes the listener and every connection, as a crashed server would. */
  stop(): void {
    this.listener?.stop(true);
    for (const socket of this.sockets) socket.end();
    this.sockets.clear();
    this.listener = undefined;
  }

  clearLog(): void {
    this.commands.length = 0;
    this.batches.length = 0;
  }

  /** Names of logged commands, lowercased, for assertions. */
  commandNames(): string[] {
    return this.commands.map(([name]) => name as string);
  }

  private receive(socket: Socket<Connection>, data: Buffer): void {
    socket.data.buffer = Buffer.concat([socket.data.buffer, data]);
    const batch: string[][] = [];
    for (;;) {
      const parsed = parseCommand(socket.data.buffer);
      if (!parsed) break;
      socket.data.buffer = socket.data.buffer.subarray(parsed.consumed);
      batch.push(parsed.args);
    }
    if (batch.length === 0) return;
    this.batches.push(batch);
    const out = batch.map((args) => encode(this.dispatch(socket.data, args))).join("");
    socket.write(out);
  }

  private dispatch(connection: Connection, args: string[]): Reply {
    const name = (args[0] ?? "").toLowerCase();
    const rest = args.slice(1);
    this.commands.push([name, ...rest]);
    if (connection.queue && !["exec", "discard", "multi"].includes(name)) {
      connection.queue.push([name, ...rest]);
      return { status: "QUEUED" };
    }
    switch (name) {
      case "multi":
        connection.queue = [];
        return { status: "OK" };
      case "exec": {
        const queued = connection.queue ?? [];
        connection.queue = undefined;
        return queued.map(([queuedName, ...queuedArgs]) =>
          this.execute(queuedName as string, queuedArgs),
        );
      }
      case "discard":
        connection.queue = undefined;
        return { status: "OK" };
      default:
        return this.execute(name, rest);
    }
  }

  private execute(name: string, args: string[]): Reply {
    if (this.failing.has(name)) return { error: `ERR injected failure for '${name}'` };
    const [key = "", ...rest] = args;
    switch (name) {
      case "ping":
        return { status: "PONG" };
      case "select":
      case "auth":
      case "client":
      case "quit":
        return { status: "OK" };
      case "info":
        return "# Server\r\nredis_version:7.0.0\r\nloading:0\r\n";
      case "flushdb":
      case "flushall":
        this.hashes.clear();
        this.sets.clear();
        return { status: "OK" };
      case "hset": {
        const hash = this.createHash(key);
        let added = 0;
        for (let i = 0; i + 1 < rest.length; i += 2) {
          if (!hash.has(rest[i] as string)) added++;
          hash.set(rest[i] as string, rest[i + 1] as string);
        }
        return added;
      }
      case "hsetnx": {
        const hash = this.createHash(key);
        if (hash.has(rest[0] as string)) return 0;
        hash.set(rest[0] as string, rest[1] as string);
        return 1;
      }
      case "hget":
        return this.hash(key)?.get(rest[0] as string) ?? null;
      case "hmget":
        return rest.map((field) => this.hash(key)?.get(field) ?? null);
      case "hgetall":
        return [...(this.hash(key)?.entries() ?? [])].flat();
      case "hdel": {
        const hash = this.hash(key);
        const removed = rest.filter((field) => hash?.delete(field)).length;
        if (hash?.size === 0) this.hashes.delete(key);
        return removed;
      }
      case "sadd": {
        const set = this.sets.get(key) ?? new Set<string>();
        this.sets.set(key, set);
        const before = set.size;
        for (const member of rest) set.add(member);
        return set.size - before;
      }
      case "srem": {
        const set = this.sets.get(key);
        const removed = rest.filter((member) => set?.delete(member)).length;
        if (set?.size === 0) this.sets.delete(key);
        return removed;
      }
      case "sismember":
        return this.sets.get(key)?.has(rest[0] as string) ? 1 : 0;
      case "smembers":
        return [...(this.sets.get(key) ?? [])];
      case "del":
        return args.filter((k) => this.hashes.delete(k) || this.sets.delete(k)).length;
      case "exists":
        return args.filter((k) => this.hashes.has(k) || this.sets.has(k)).length;
      default:
        return { error: `ERR unknown command '${name}'` };
    }
  }

  private hash(key: string): Map<string, string> | undefined {
    return this.hashes.get(key);
  }

  private createHash(key: string): Map<string, string> {
    const hash = this.hashes.get(key) ?? new Map<string, string>();
    this.hashes.set(key, hash);
    return hash;
  }
}

/** One RESP array of bulk strings (what clients send), or undefined if incomplete. */
function parseCommand(buffer: Buffer): { args: string[]; consumed: number } | undefined {
  if (buffer.length === 0) return undefined;
  if (buffer[0] !== 0x2a) {
    const end = buffer.indexOf("\r\n");
    if (end === -1) return undefined;
    return { args: buffer.subarray(0, end).toString().trim().split(/\s+/), consumed: end + 2 };
  }
  let offset = buffer.indexOf("\r\n");
  if (offset === -1) return undefined;
  const count = Number(buffer.subarray(1, offset).toString());
  offset += 2;
  const args: string[] = [];
  for (let i = 0; i < count; i++) {
    const lineEnd = buffer.indexOf("\r\n", offset);
    if (lineEnd === -1) return undefined;
    const length = Number(buffer.subarray(offset + 1, lineEnd).toString());
    const start = lineEnd + 2;
    if (buffer.length < start + length + 2) return undefined;
    args.push(buffer.subarray(start, start + length).toString());
    offset = start + length + 2;
  }
  return { args, consumed: offset };
}

function encode(reply: Reply): string {
  if (reply === null) return "$-1\r\n";
  if (typeof reply === "number") return `:${reply}\r\n`;
  if (typeof reply === "string") return `$${Buffer.byteLength(reply)}\r\n${reply}\r\n`;
  if (Array.isArray(reply)) return `*${reply.length}\r\n${reply.map(encode).join("")}`;
  if ("error" in reply) return `-${reply.error}\r\n`;
  return `+${reply.status}\r\n`;
}
