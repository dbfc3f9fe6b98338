import { type Static, type TLiteral, type TSchema, Type } from "@sinclair/typebox";
import { parseDuration } from "./duration.ts";

/*
 * Distribution's `config.yml` keys (lower case, as in the file) with skiff's defaults. Once
 * loaded (load.ts), durations are milliseconds and every section listed with a default exists.
 * Keys marked "skiff:" are extensions Distribution does not have.
 */

/** A duration: Go syntax (`10s`) or bare nanoseconds in the file, milliseconds once loaded. */
const Duration = (defaultText?: string) =>
  Type.Number({
    duration: true,
    ...(defaultText === undefined ? {} : { default: parseDuration(defaultText) }),
  });

/** One of a few words, case-insensitive; `aliases` maps Distribution's other spellings. */
const Choice = <const T extends string>(
  words: readonly [T, ...T[]],
  defaultWord: NoInfer<T>,
  aliases: Record<string, NoInfer<T>> = {},
) =>
  Type.Union(
    words.map((word): TLiteral<T> => Type.Literal(word)),
    { default: defaultWord, aliases },
  );

/** A section that always exists once loaded, filled with its keys' defaults. */
const Section = <T extends Record<string, TSchema>>(properties: T) =>
  Type.Object(properties, { default: {} });

const Optional = Type.Optional;
const Str = (defaultValue?: string) =>
  defaultValue === undefined ? Type.String() : Type.String({ default: defaultValue });
const Bool = (defaultValue = false) => Type.Boolean({ default: defaultValue });
const Int = (options: { default?: number; minimum?: number } = {}) => Type.Integer(options);

const FilesystemStorage = Type.Object({
  rootdirectory: Str("/var/lib/registry"),
  // Accepted for compatibility; Distribution clamps it to at least 25.
  maxthreads: Optional(Int()),
});

const fiveMiB = 5 * 1024 * 1024;

const S3Storage = Type.Object({
  bucket: Str(),
  region: Optional(Str()),
  regionendpoint: Optional(Str()),
  accesskey: Optional(Str()),
  secretkey: Optional(Str()),
  sessiontoken: Optional(Str()),
  rootdirectory: Optional(Str()),
  forcepathstyle: Optional(Type.Boolean()),
  secure: Optional(Type.Boolean()),
  skipverify: Optional(Type.Boolean()),
  v4auth: Optional(Type.Boolean()),
  chunksize: Optional(Int({ minimum: fiveMiB })),
  multipartcopychunksize: Optional(Int({ minimum: fiveMiB })),
  multipartcopymaxconcurrency: Optional(Int({ minimum: 1 })),
  multipartcopythresholdsize: Optional(Int({ minimum: 0 })),
  storageclass: Optional(Str()),
  encrypt: Optional(Type.Boolean()),
  keyid: Optional(Str()),
});

export const storageDrivers = ["filesystem", "inmemory", "s3"] as const;
export type StorageDriverName = (typeof storageDrivers)[number];

/** Keys of `storage` that are settings, not drivers (Distribution's list, plus its newer `tag`). */
export const storageSettings = ["delete", "redirect", "cache", "maintenance", "tag"] as const;

const Storage = Type.Object(
  {
    filesystem: Optional(FilesystemStorage),
    inmemory: Optional(Type.Union([Type.Null(), Type.Object({})])),
    s3: Optional(S3Storage),
    delete: Section({ enabled: Bool(false) }),
    redirect: Section({ disable: Bool(false) }),
    cache: Section({
      // "" = no descriptor cache.
      blobdescriptor: Choice(["inmemory", "redis", ""], "inmemory"),
      blobdescriptorsize: Int({ default: 10_000, minimum: 1 }),
    }),
    maintenance: Section({
      uploadpurging: Section({
        enabled: Bool(true),
        age: Duration("168h"),
        interval: Duration("24h"),
        dryrun: Bool(false),
      }),
      readonly: Section({ enabled: Bool(false) }),
    }),
  },
  { default: {}, variants: { kind: "storage driver", settings: storageSettings, required: true } },
);

const Log = Section({
  level: Choice(["error", "warn", "info", "debug"], "info", {
    panic: "error",
    fatal: "error",
    warning: "warn",
    trace: "debug",
  }),
  formatter: Choice(["text", "json"], "text", { logstash: "json" }),
  fields: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
  accesslog: Section({ disabled: Bool(false) }),
});

const Http = Section({
  addr: Str(":5000"),
  net: Choice(["tcp", "unix"], "tcp", { "": "tcp" }),
  host: Str(""),
  prefix: Str(""),
  relativeurls: Bool(false),
  secret: Optional(Str()),
  draintimeout: Duration("10s"),
  // skiff: a connection silent this long is closed (a stalled upload ends; at most 255s).
  idletimeout: Duration("120s"),
  // skiff: upload requests one client address may have in flight at once (0 = no limit).
  maxconcurrentuploads: Int({ default: 32, minimum: 0 }),
  headers: Type.Record(Type.String(), Type.Array(Type.String()), {
    default: { "X-Content-Type-Options": ["nosniff"] },
  }),
  debug: Section({
    addr: Str(""),
    prometheus: Section({ enabled: Bool(false), path: Str("/metrics") }),
  }),
  tls: Section({
    certificate: Optional(Str()),
    key: Optional(Str()),
    clientcas: Optional(Type.Array(Type.String())),
    minimumtls: Optional(Str()),
  }),
  http2: Section({ disabled: Bool(false) }),
});

const Redis = Type.Object({
  addr: Optional(Str()),
  // skiff (as Distribution 3): several addresses, for Sentinel (with mastername) or Cluster.
  addrs: Optional(Type.Array(Type.String())),
  mastername: Optional(Str()),
  cluster: Optional(Type.Boolean()),
  username: Optional(Str()),
  password: Optional(Str()),
  db: Int({ default: 0, minimum: 0 }),
  dialtimeout: Duration("1s"),
  readtimeout: Duration("500ms"),
  writetimeout: Duration("500ms"),
  tls: Section({ enabled: Bool(false) }),
  pool: Section({
    maxidle: Optional(Int({ minimum: 0 })),
    maxactive: Optional(Int({ minimum: 0 })),
    idletimeout: Optional(Duration()),
  }),
});

/** One upstream registry; `ttl` 0 or negative = pulled content never expires. */
const Upstream = {
  remoteurl: Str(),
  username: Optional(Str()),
  password: Optional(Str()),
  ttl: Duration("168h"),
};

const Auth = Type.Object(
  {
    htpasswd: Optional(
      Type.Object({
        realm: Str(),
        path: Str(),
        // skiff: failures from one address answered at once, then delays doubling up to the max.
        failures: Int({ default: 5, minimum: 0 }),
        failuredelay: Duration("1s"),
        maxfailuredelay: Duration("30s"),
      }),
    ),
    token: Optional(
      Type.Object({
        realm: Str(),
        service: Str(),
        issuer: Str(),
        rootcertbundle: Optional(Str()),
        jwks: Optional(Str()),
        autoredirect: Optional(Type.Boolean()),
      }),
    ),
  },
  { variants: { kind: "authentication method", settings: [], required: false } },
);

export const ConfigSchema = Type.Object({
  version: Str("0.1"),
  log: Log,
  storage: Storage,
  http: Http,
  redis: Optional(Redis),
  proxy: Optional(Type.Object(Upstream)),
  // skiff: several upstreams, each mirrored under its own name prefix.
  proxies: Type.Array(Type.Object({ prefix: Str(), ...Upstream }), { default: [] }),
  health: Section({
    storagedriver: Section({
      enabled: Bool(true),
      interval: Duration("10s"),
      threshold: Int({ default: 3, minimum: 0 }),
    }),
  }),
  auth: Optional(Auth),
});

export type Config = Static<typeof ConfigSchema>;

/** The storage driver a loaded config selects (loading guarantees exactly one). */
export function selectedStorageDriver(config: Config): StorageDriverName {
  const found = storageDrivers.find((name) => config.storage[name] !== undefined);
  if (!found) throw new Error("the configuration selects no storage driver");
  return found;
}
