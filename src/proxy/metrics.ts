import type { EntryType } from "./scheduler.ts";

/** What the mirror reports; the metrics issue plugs prom-client counters in here. */
export interface MirrorMetrics {
  upstreamRequest(method: string, status: number): void;
  bytesFromUpstream(bytes: number): void;
  bytesFromCache(bytes: number): void;
  /** A client joined a fetch already in flight instead of starting its own. */
  joined(): void;
  expired(type: EntryType): void;
}

export const noMirrorMetrics: MirrorMetrics = {
  upstreamRequest() {},
  bytesFromUpstream() {},
  bytesFromCache() {},
  joined() {},
  expired() {},
};
