import type { DigestAlgorithm } from "../registry/digest.ts";

/** A running hash of an upload's bytes, valid only while `offset` equals the upload's size. */
export interface HashState {
  readonly hasher: Bun.CryptoHasher;
  readonly algorithm: DigestAlgorithm;
  offset: number;
}

/**
 * In-memory hash states of uploads in progress, so a commit does not re-read the data.
 * Bounded: the oldest states are dropped first; a commit without a state re-hashes from
 * storage, so losing one costs time, never correctness.
 */
export class HashStates {
  private readonly states = new Map<string, HashState>();

  constructor(private readonly limit = 10_000) {}

  get(key: string): HashState | undefined {
    return this.states.get(key);
  }

  start(key: string, algorithm: DigestAlgorithm = "sha256"): HashState {
    const state: HashState = { hasher: new Bun.CryptoHasher(algorithm), algorithm, offset: 0 };
    this.set(key, state);
    return state;
  }

  delete(key: string): void {
    this.states.delete(key);
  }

  private set(key: string, state: HashState): void {
    this.states.delete(key);
    this.states.set(key, state);
    if (this.states.size > this.limit) {
      const oldest = this.states.keys().next().value;
      if (oldest !== undefined) this.states.delete(oldest);
    }
  }
}

/** Serialises operations on one key (one upload) within this process. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
