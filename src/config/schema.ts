import { type Static, type TSchema, Type } from "@sinclair/typebox";

/**
 * Distribution's `config.yml` keys, with skiff's defaults. Durations are written in Go's
 * syntax and held in milliseconds once loaded (see load.ts).
 */
const Duration = (defaultValue?: string) =>
  Type.Unsafe<number>({
    ...Type.Union([Type.String(), Type.Number()]),
    duration: true,
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
  });

const Section = <T extends Record<string, TSchema>>(properties: T) =>
  Type.Object(properties, { default: {} });
const Optional = Type.Optional;
const Str = (defaultValue?: string) =>
  defaultValue === undefined ? Type.String() : Type.String({ default: defaultValue });
const Bool = (defaultValue = false) => Type.Boolean({ default: defaultValue });
const Int = (defaultValue?: number) =>
  defaultValue === undefined ? Type.Integer() : Type.Integer({ default: defaultValue });

const FilesystemStorage = Type.Object({
  rootdirectory: Str("/var/lib/registry"),
  maxthreads: Optional(Int()),
});

const S3Storage = Type.Object({
  accesskey: Optional(Str()),
  secretkey: Optional(Str()),
  region: Optional(Str()),
  regionendpoint: Optional(Str()),
  bucket: Optional(Str()),
  rootdirectory: Optional(Str()),
  forcepathstyle: Optional(Type.Boolean()),
  secure: Optional(Type.Boolean()),
  skipverify: Optional(Type.Boolean()),
  v4auth: Optional(Type.Boolean()),
  chunksize: Optional(Int()),
  multipartcopychunksize: Optional(Int()),
  multipartcopymaxconcurrency: Optional(Int()),
  multipartcopythresholdsize: Optional(Int()),
  storageclass: Optional(Str()),
  encrypt: Optional(Type.Boolean()),
  keyid: Optional(Str()),
  sessiontoken: Optional(Str()),
});

export const storageDrivers = ["filesystem", "inmemory", "s3"] as const;
export type StorageDriverName = (typeof storageDrivers)[number];

const Storage = Section({
  filesystem: Optional(FilesystemStorage),
  inmemory: Optional(Type.Union([Type.Null(), Type.Object({})])),
  s3: Optional(S3Storage),
  delete: Section({ enabled: Bool(false) }),
  redirect: Section({ disable: Bool(false) }),
  cache: Section({
    blobdescriptor: Type.Union(
      [Type.Literal("inmemory"), Type.Literal("redis"), Type.Literal("")],
      { default: "inmemory" },
    ),
    blobdescriptorsize: Int(10_000),
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
});

const Log = Section({
  level: Type.Union(
    [Type.Literal("error"), Type.Literal("warn"), Type.Literal("info"), Type.Literal("debug")],
    { default: "info" },
  ),
  formatter: Type.Union([Type.Literal("text"), Type.Literal("json")], { default: "text" }),
  fields: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
  accesslog: Section({ disabled: Bool(false) }),
});

const Http = Section({
  addr: Str(":5000"),
  net: Type.Union([Type.Literal("tcp"), Type.Literal("unix")], { default: "tcp" }),
  host: Str(""),
  prefix: Str(""),
  relativeurls: Bool(false),
  secret: Optional(Str()),
  draintimeout: Duration("10s"),
  // skiff: a connection silent this long is closed (a stalled upload ends; at most 255s).
  idletimeout: Duration("120s"),
  // skiff: upload requests one client address may have in flight at once (0 = no limit).
  maxconcurrentuploads: Int(32),
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
  addrs: Optional(Type.Array(Type.String())),
  mastername: Optional(Str()),
  cluster: Optional(Type.Boolean()),
  username: Optional(Str()),
  password: Optional(Str()),
  db: Int(0),
  dialtimeout: Duration("1s"),
  readtimeout: Duration("500ms"),
  writetimeout: Duration("500ms"),
  tls: Section({ enabled: Bool(false) }),
  pool: Section({
    maxidle: Optional(Int()),
    maxactive: Optional(Int()),
    idletimeout: Optional(Duration()),
  }),
});

const Upstream = {
  remoteurl: Str(),
  username: Optional(Str()),
  password: Optional(Str()),
  ttl: Duration("168h"),
};

const Auth = Type.Object({
  htpasswd: Optional(
    Type.Object({
      realm: Str(),
      path: Str(),
      // skiff: failures from one address answered at once, then delays doubling up to the max.
      failures: Int(5),
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
});

export const ConfigSchema = Type.Object({
  version: Type.Unsafe<string>({ ...Type.Union([Type.String(), Type.Number()]), default: "0.1" }),
  log: Log,
  storage: Storage,
  http: Http,
  redis: Optional(Redis),
  proxy: Optional(Type.Object(Upstream)),
  proxies: Type.Array(Type.Object({ prefix: Str(), ...Upstream }), { default: [] }),
  health: Section({
    storagedriver: Section({ enabled: Bool(true), interval: Duration("10s"), threshold: Int(3) }),
  }),
  auth: Optional(Auth),
});

export type Config = Static<typeof ConfigSchema>;

export function selectedStorageDriver(config: Config): StorageDriverName {
  const found = storageDrivers.filter((name) => config.storage[name] !== undefined);
  return found[0] ?? "filesystem";
}
