import { type Descriptor, octetStream } from "../registry/descriptor.ts";
import {
  type Digest,
  type DigestAlgorithm,
  digestParts,
  hasherDigest,
} from "../registry/digest.ts";
import { isRegistryError, registryError } from "../registry/errors.ts";
import type { UploadBody, UploadStatus, UploadStore } from "../registry/interfaces.ts";
import type { GlobalBlobStore } from "./blobstore.ts";
import { isPathNotFound, type StorageDriver } from "./driver/driver.ts";
import type { HashStates, KeyedMutex } from "./hashstates.ts";
import type { LinkedBlobStore } from "./linkedblobstore.ts";
import { blobDataPath, uploadDataPath, uploadPath, uploadStartedAtPath } from "./paths.ts";

/** A whole body is one chunk; a stream is read as it comes. */
function chunksOf(body: UploadBody): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  if (body === null) return [];
  return body instanceof Uint8Array ? [body] : body;
}

/**
 * Writes an upload session's `startedat`, by which the purger ages it. Not synced: a crash
 * loses an unfinished upload either way, and the purger ages a session whose record is missing
 * or torn by its folder's time instead. The data file appears with the first bytes.
 */
export function recordUploadStart(
  driver: StorageDriver,
  repository: string,
  id: string,
  startedAt: Date,
): Promise<void> {
  return driver.putContent(uploadStartedAtPath(repository, id), startedAt.toISOString(), {
    durable: false,
  });
}

const uploadIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface UploadSessionsOptions {
  readonly repository: string;
  readonly driver: StorageDriver;
  readonly global: GlobalBlobStore;
  readonly blobs: LinkedBlobStore;
  readonly hashStates: HashStates;
  readonly locks: KeyedMutex;
  readonly now?: () => Date;
}

/**
 * Resumable uploads under `_uploads/<id>/`. Bytes are streamed to the driver and hashed on
 * the way; the blob becomes visible only after its digest is verified, by an atomic move.
 */
export class UploadSessions implements UploadStore {
  constructor(private readonly options: UploadSessionsOptions) {}

  async start(): Promise<UploadStatus> {
    const id = crypto.randomUUID();
    const startedAt = (this.options.now ?? (() => new Date()))();
    await recordUploadStart(this.options.driver, this.options.repository, id, startedAt);
    this.options.hashStates.start(this.key(id));
    return { id, size: 0, startedAt };
  }

  async status(id: string): Promise<UploadStatus> {
    const size = await this.size(id);
    const text = await this.options.driver
      .getContent(uploadStartedAtPath(this.options.repository, id))
      .catch(() => undefined);
    const startedAt = text ? new Date(new TextDecoder().decode(text)) : new Date(0);
    return { id, size, startedAt };
  }

  append(id: string, body: UploadBody, expectedOffset?: number): Promise<number> {
    this.checkId(id);
    return this.options.locks.run(this.key(id), async () => {
      const size = await this.size(id);
      if (expectedOffset !== undefined && expectedOffset !== size) {
        throw registryError(
          "RANGE_INVALID",
          `upload is at offset ${size}, chunk starts at ${expectedOffset}`,
          { offset: size },
          416,
        );
      }
      return this.write(id, size, body);
    });
  }

  commit(id: string, digest: Digest, finalChunk?: UploadBody): Promise<Descriptor> {
    this.checkId(id);
    return this.options.locks.run(this.key(id), async () => {
      // Known before the last bytes arrive: a blob stored already needs no sync and no move.
      const stored = this.options.global.exists(digest);
      const size = await this.writeFinal(id, await this.size(id), finalChunk ?? null, stored);
      const actual = await this.digestOf(id, size, digestParts(digest).algorithm);
      if (actual !== digest) {
        await this.remove(id);
        throw registryError("DIGEST_INVALID", "provided digest did not match uploaded content", {
          expected: digest,
          actual,
        });
      }
      const descriptor: Descriptor = { digest, size, mediaType: octetStream };
      if (!(await stored))
        await this.options.driver.move(
          uploadDataPath(this.options.repository, id),
          blobDataPath(digest),
        );
      await this.options.blobs.link(descriptor);
      await this.remove(id);
      return descriptor;
    });
  }

  async cancel(id: string): Promise<void> {
    await this.size(id);
    await this.options.locks.run(this.key(id), () => this.remove(id));
  }

  private async size(id: string): Promise<number> {
    this.checkId(id);
    const { driver, repository } = this.options;
    try {
      return (await driver.stat(uploadDataPath(repository, id))).size;
    } catch (err) {
      if (!isPathNotFound(err)) throw err;
    }
    // No bytes yet: the session is known by its `startedat` alone.
    try {
      await driver.stat(uploadStartedAtPath(repository, id));
      return 0;
    } catch (err) {
      if (isPathNotFound(err)) throw registryError("BLOB_UPLOAD_UNKNOWN", undefined, { uuid: id });
      throw err;
    }
  }

  /**
   * The commit's own bytes go through the writer that then makes the data durable, so the
   * data is opened once; nothing is synced for a blob that is stored already.
   */
  private async writeFinal(
    id: string,
    offset: number,
    body: UploadBody,
    stored: Promise<boolean>,
  ): Promise<number> {
    if (body === null && (await stored)) return offset;
    return this.write(
      id,
      offset,
      body,
      stored.then((already) => !already),
    );
  }

  /**
   * Streams a body onto the upload, feeding the hash state while it is in step with the data.
   * Chunks are only flushed; `sync`, given at commit, says whether the data must be synced.
   */
  private async write(
    id: string,
    offset: number,
    body: UploadBody,
    sync?: Promise<boolean>,
  ): Promise<number> {
    if (!body && !sync) return offset;
    const key = this.key(id);
    const state = this.options.hashStates.get(key);
    const hasher = state && state.offset === offset ? state.hasher : undefined;
    if (!hasher) this.options.hashStates.delete(key);
    const writer = await this.options.driver.writer(
      uploadDataPath(this.options.repository, id),
      true,
    );
    try {
      for await (const chunk of chunksOf(body)) {
        hasher?.update(chunk);
        await writer.write(chunk);
      }
      if (await sync) await writer.commit();
      else await writer.flush();
    } catch (err) {
      this.options.hashStates.delete(key);
      throw isRegistryError(err)
        ? err
        : registryError("BLOB_UPLOAD_INVALID", `upload interrupted: ${(err as Error).message}`);
    } finally {
      await writer.close();
    }
    if (state && hasher) state.offset = writer.size;
    return writer.size;
  }

  private async digestOf(id: string, size: number, algorithm: DigestAlgorithm): Promise<Digest> {
    const state = this.options.hashStates.get(this.key(id));
    if (state && state.offset === size && state.algorithm === algorithm)
      return hasherDigest(state.hasher, algorithm);
    const hasher = new Bun.CryptoHasher(algorithm);
    // An upload without bytes may have no data file at all.
    if (size === 0) return hasherDigest(hasher, algorithm);
    const stream = await this.options.driver.reader(uploadDataPath(this.options.repository, id), 0);
    for await (const chunk of stream) hasher.update(chunk);
    return `${algorithm}:${hasher.digest("hex")}` as Digest;
  }

  private async remove(id: string): Promise<void> {
    this.options.hashStates.delete(this.key(id));
    await this.options.driver.delete(uploadPath(this.options.repository, id)).catch((err) => {
      if (!isPathNotFound(err)) throw err;
    });
  }

  private checkId(id: string): void {
    if (!uploadIdPattern.test(id))
      throw registryError("BLOB_UPLOAD_UNKNOWN", undefined, { uuid: id.slice(0, 100) });
  }

  private key(id: string): string {
    return `${this.options.repository}/${id}`;
  }
}
