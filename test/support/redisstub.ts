import type { Socket, TCPSocketListener } from "bun";

/** A reply before encoding; maps and sets are flattened to arrays for RESP2 clients. */
type Reply =
  | null
  | number
  | string
  | Reply[]
  | { readonly error: string }
  | { readonly status: string }
  | { readonly map: readonly (readonly [string, Reply])[] }
  | { readonly set: readonly string[] };

type Value = Map<string, string> | Set<string>;
type Keyspace = Map<string, Value>;
type Handler = (keyspace: Keyspace, args: string[]) => Reply;

interface Connection {
  input: Buffer;
  /** Bytes the kernel did not take yet; written on drain, in order. */
  output: Buffer;
  /** Commands queued between MULTI and EXEC; undefined outside a transaction. */
  queue: string[][] | undefined;
  /** A command refused while queueing makes EXEC fail, as in Redis. */
  queueRefused: boolean;
  db: number;
  protocol: 2 | 3;
  authenticated: boolean;
  closing: boolean;
}

export interface RedisStubOptions {
  /** Like `requirepass`: commands other than AUTH/HELLO are refused until authenticated. */
  readonly password?: string;
}

const ok = { status: "OK" } as const;
const err = (message: string) => ({ error: message });

class WrongType extends Error {}

/**
 * An in-memory Redis that speaks RESP2 and RESP3 over a real loopback socket, so ioredis talks
 * to it unchanged. It logs every command it receives, can stall (read but not answer, like a
 * server stuck in a slow command) and can be stopped and restarted on the same port to simulate
 * an outage; the data survives a restart, as it would a network partition.
 */
export class RedisStub {
  /** Every command received, `[lowercased name, ...args]`, in arrival order. */
  readonly commands: string[][] = [];
  /** Commands grouped by the network read they arrived in: more than one = pipelined. */
  readonly batches: string[][][] = [];
  /** Command names (lowercase) answered with an error reply, to simulate a failing server. */
  readonly failing = new Set<string>();
  port = 0;
  private readonly databases = new Map<number, Keyspace>();
  private readonly sockets = new Set<Socket<Connection>>();
  private listener: TCPSocketListener<Connection> | undefined;
  private stalled = false;

  constructor(private readonly options: RedisStubOptions = {}) {}

  static async start(options: RedisStubOptions = {}): Promise<RedisStub> {
    const stub = new RedisStub(options);
    stub.start();
    return stub;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.listener !== undefined;
  }

  /** Listens on 127.0.0.1: a free port the first time, the same port after a stop. */
  start(): void {
    if (this.listener) return;
    this.listener = Bun.listen<Connection>({
      hostname: "127.0.0.1",
      port: this.port,
      socket: {
        open: (socket) => {
          socket.data = {
            input: Buffer.alloc(0),
            output: Buffer.alloc(0),
            queue: undefined,
            queueRefused: false,
            db: 0,
            protocol: 2,
            authenticated: this.options.password === undefined,
            closing: false,
          };
          this.sockets.add(socket);
        },
        data: (socket, data) => {
          socket.data.input = Buffer.concat([socket.data.input, data]);
          if (!this.stalled) this.process(socket);
        },
        drain: (socket) => this.flush(socket),
        close: (socket) => {
          this.sockets.delete(socket);
        },
        error: () => {},
      },
    });
    this.port = this.listener.port;
  }

  /** Closes the listener and every connection, as a crashed or unreachable server would. */
  stop(): void {
    this.listener?.stop(true);
    for (const socket of this.sockets) socket.end();
    this.sockets.clear();
    this.listener = undefined;
    this.stalled = false;
  }

  /** Keeps reading but answers nothing until `resume()`, so clients hit their timeouts. */
  stall(): void {
    this.stalled = true;
  }

  /** Answers everything read while stalled, in order. */
  resume(): void {
    this.stalled = false;
    for (const socket of this.sockets) this.process(socket);
  }

  clearLog(): void {
    this.commands.length = 0;
    this.batches.length = 0;
  }

  /** Names of logged commands, lowercased, for assertions. */
  commandNames(): string[] {
    return this.commands.map(([name]) => name as string);
  }

  private process(socket: Socket<Connection>): void {
    const batch: string[][] = [];
    for (;;) {
      const parsed = parseCommand(socket.data.input);
      if (!parsed) break;
      socket.data.input = socket.data.input.subarray(parsed.consumed);
      if (parsed.args.length > 0) batch.push(parsed.args);
    }
    if (batch.length === 0) return;
    this.batches.push(batch);
    const replies = batch.map((args) => encode(this.dispatch(socket.data, args), socket.data));
    this.send(socket, Buffer.from(replies.join("")));
  }

  private send(socket: Socket<Connection>, bytes: Buffer): void {
    socket.data.output = Buffer.concat([socket.data.output, bytes]);
    this.flush(socket);
  }

  private flush(socket: Socket<Connection>): void {
    const { output } = socket.data;
    if (output.length > 0) {
      const written = socket.write(output);
      socket.data.output = output.subarray(Math.max(written, 0));
    }
    if (socket.data.closing && socket.data.output.length === 0) socket.end();
  }

  private dispatch(connection: Connection, args: string[]): Reply {
    const name = (args[0] as string).toLowerCase();
    const rest = args.slice(1);
    this.commands.push([name, ...rest]);
    if (!connection.authenticated && !["auth", "hello", "quit"].includes(name))
      return err("NOAUTH Authentication required.");
    if (connection.queue && !["exec", "discard", "multi"].includes(name)) {
      if (!(name in dataCommands)) {
        connection.queueRefused = true;
        return err(`ERR unknown command '${name}'`);
      }
      connection.queue.push([name, ...rest]);
      return { status: "QUEUED" };
    }
    switch (name) {
      case "multi":
        if (connection.queue) return err("ERR MULTI calls can not be nested");
        connection.queue = [];
        connection.queueRefused = false;
        return ok;
      case "exec":
        return this.exec(connection);
      case "discard":
        if (!connection.queue) return err("ERR DISCARD without MULTI");
        connection.queue = undefined;
        return ok;
      case "hello":
        return this.hello(connection, rest);
      case "auth":
        return this.auth(connection, rest.length > 1 ? rest[0] : undefined, rest.at(-1));
      case "select": {
        const db = Number(rest[0]);
        if (!Number.isInteger(db) || db < 0 || db > 15) return err("ERR DB index is out of range");
        connection.db = db;
        return ok;
      }
      case "flushall":
        this.databases.clear();
        return ok;
      case "quit":
        connection.closing = true;
        return ok;
      default:
        return this.execute(connection.db, name, rest);
    }
  }

  private exec(connection: Connection): Reply {
    const queued = connection.queue;
    if (!queued) return err("ERR EXEC without MULTI");
    connection.queue = undefined;
    if (connection.queueRefused)
      return err("EXECABORT Transaction discarded because of previous errors.");
    return queued.map(([name, ...args]) => this.execute(connection.db, name as string, args));
  }

  private hello(connection: Connection, args: string[]): Reply {
    const protocol = args[0] === undefined ? connection.protocol : Number(args[0]);
    if (protocol !== 2 && protocol !== 3) return err("NOPROTO unsupported protocol version");
    const authAt = args.findIndex((arg) => arg.toLowerCase() === "auth");
    if (authAt !== -1) {
      const refused = this.auth(connection, args[authAt + 1], args[authAt + 2]);
      if (refused !== ok) return refused;
    }
    if (!connection.authenticated) return err("NOAUTH HELLO must be called with AUTH");
    connection.protocol = protocol;
    return {
      map: [
        ["server", "redis"],
        ["version", "7.0.0"],
        ["proto", protocol],
        ["id", 1],
        ["mode", "standalone"],
        ["role", "master"],
        ["modules", []],
      ],
    };
  }

  private auth(connection: Connection, username: string | undefined, password?: string): Reply {
    const expected = this.options.password;
    if (expected !== undefined && ((username ?? "default") !== "default" || password !== expected))
      return err("WRONGPASS invalid username-password pair or user is disabled.");
    connection.authenticated = true;
    return ok;
  }

  private execute(db: number, name: string, args: string[]): Reply {
    if (this.failing.has(name)) return err(`ERR injected failure for '${name}'`);
    const handler = dataCommands[name];
    if (!handler) return err(`ERR unknown command '${name}'`);
    if (args.length < (minimumArgs[name] ?? 0))
      return err(`ERR wrong number of arguments for '${name}' command`);
    try {
      return handler(this.keyspace(db), args);
    } catch (error) {
      if (error instanceof WrongType)
        return err("WRONGTYPE Operation against a key holding the wrong kind of value");
      throw error;
    }
  }

  private keyspace(db: number): Keyspace {
    const existing = this.databases.get(db);
    if (existing) return existing;
    const created: Keyspace = new Map();
    this.databases.set(db, created);
    return created;
  }
}

function hashAt(keyspace: Keyspace, key: string): Map<string, string> | undefined {
  const value = keyspace.get(key);
  if (value !== undefined && !(value instanceof Map)) throw new WrongType();
  return value;
}

function setAt(keyspace: Keyspace, key: string): Set<string> | undefined {
  const value = keyspace.get(key);
  if (value !== undefined && !(value instanceof Set)) throw new WrongType();
  return value;
}

function createHash(keyspace: Keyspace, key: string): Map<string, string> {
  const hash = hashAt(keyspace, key) ?? new Map<string, string>();
  keyspace.set(key, hash);
  return hash;
}

/** Redis deletes a hash or set when its last field or member goes. */
function dropIfEmpty(keyspace: Keyspace, key: string): void {
  if (keyspace.get(key)?.size === 0) keyspace.delete(key);
}

function globPattern(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${escaped.replaceAll("*", ".*").replaceAll("?", ".")}$`);
}

/** Commands that work on the data, allowed inside MULTI. */
const dataCommands: Record<string, Handler> = {
  ping: (_, [message]) => message ?? { status: "PONG" },
  echo: (_, [message]) => message as string,
  info: () => "# Server\r\nredis_version:7.0.0\r\nloading:0\r\n",
  client: () => ok,
  flushdb: (keyspace) => {
    keyspace.clear();
    return ok;
  },
  keys: (keyspace, [pattern]) => {
    const matcher = globPattern(pattern as string);
    return [...keyspace.keys()].filter((key) => matcher.test(key));
  },
  hset: (keyspace, [key, ...pairs]) => {
    if (pairs.length % 2 !== 0) return err("ERR wrong number of arguments for 'hset' command");
    const hash = createHash(keyspace, key as string);
    let added = 0;
    for (let i = 0; i < pairs.length; i += 2) {
      if (!hash.has(pairs[i] as string)) added++;
      hash.set(pairs[i] as string, pairs[i + 1] as string);
    }
    return added;
  },
  hsetnx: (keyspace, [key, field, value]) => {
    const hash = createHash(keyspace, key as string);
    if (hash.has(field as string)) return 0;
    hash.set(field as string, value as string);
    return 1;
  },
  hget: (keyspace, [key, field]) => hashAt(keyspace, key as string)?.get(field as string) ?? null,
  hmget: (keyspace, [key, ...fields]) => {
    const hash = hashAt(keyspace, key as string);
    return fields.map((field) => hash?.get(field) ?? null);
  },
  hgetall: (keyspace, [key]) => ({ map: [...(hashAt(keyspace, key as string) ?? [])] }),
  hdel: (keyspace, [key, ...fields]) => {
    const hash = hashAt(keyspace, key as string);
    const removed = fields.filter((field) => hash?.delete(field)).length;
    dropIfEmpty(keyspace, key as string);
    return removed;
  },
  sadd: (keyspace, [key, ...members]) => {
    const set = setAt(keyspace, key as string) ?? new Set<string>();
    keyspace.set(key as string, set);
    const before = set.size;
    for (const member of members) set.add(member);
    return set.size - before;
  },
  srem: (keyspace, [key, ...members]) => {
    const set = setAt(keyspace, key as string);
    const removed = members.filter((member) => set?.delete(member)).length;
    dropIfEmpty(keyspace, key as string);
    return removed;
  },
  sismember: (keyspace, [key, member]) =>
    setAt(keyspace, key as string)?.has(member as string) ? 1 : 0,
  smembers: (keyspace, [key]) => ({ set: [...(setAt(keyspace, key as string) ?? [])] }),
  del: (keyspace, keys) => keys.filter((key) => keyspace.delete(key)).length,
  exists: (keyspace, keys) => keys.filter((key) => keyspace.has(key)).length,
};

const minimumArgs: Record<string, number> = {
  echo: 1,
  keys: 1,
  hset: 3,
  hsetnx: 3,
  hget: 2,
  hmget: 2,
  hgetall: 1,
  hdel: 2,
  sadd: 2,
  srem: 2,
  sismember: 2,
  smembers: 1,
  del: 1,
  exists: 1,
};

/** One command: a RESP array of bulk strings, or an inline command; undefined if incomplete. */
function parseCommand(buffer: Buffer): { args: string[]; consumed: number } | undefined {
  const headerEnd = buffer.indexOf("\r\n");
  if (headerEnd === -1) return undefined;
  if (buffer[0] !== 0x2a) {
    const line = buffer.subarray(0, headerEnd).toString().trim();
    return { args: line ? line.split(/\s+/) : [], consumed: headerEnd + 2 };
  }
  const count = Number(buffer.subarray(1, headerEnd).toString());
  let offset = headerEnd + 2;
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

function encode(reply: Reply, connection: Pick<Connection, "protocol">): string {
  const resp3 = connection.protocol === 3;
  const nested = (value: Reply) => encode(value, connection);
  if (reply === null) return resp3 ? "_\r\n" : "$-1\r\n";
  if (typeof reply === "number") return `:${reply}\r\n`;
  if (typeof reply === "string") return `$${Buffer.byteLength(reply)}\r\n${reply}\r\n`;
  if (Array.isArray(reply)) return `*${reply.length}\r\n${reply.map(nested).join("")}`;
  if ("error" in reply) return `-${reply.error}\r\n`;
  if ("status" in reply) return `+${reply.status}\r\n`;
  if ("set" in reply)
    return `${resp3 ? "~" : "*"}${reply.set.length}\r\n${reply.set.map(nested).join("")}`;
  const entries = reply.map.flatMap(([key, value]) => [nested(key), nested(value)]);
  return resp3
    ? `%${reply.map.length}\r\n${entries.join("")}`
    : `*${entries.length}\r\n${entries.join("")}`;
}
