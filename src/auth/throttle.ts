export interface ThrottleOptions {
  /** Failures allowed from one address before answers are delayed. */
  readonly freeFailures: number;
  /** First delay after that; it doubles with each further failure, up to `maxDelayMs`. */
  readonly delayMs: number;
  readonly maxDelayMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Slows down repeated authentication failures from one address (never speeds anything up), so
 * guessing passwords gets slower the more it is tried. Bounded: old addresses are forgotten.
 */
export class FailureThrottle {
  private readonly failures = new Map<string, number>();

  constructor(private readonly options: ThrottleOptions) {}

  /** Resolves after the delay this address has earned. */
  async failed(remote: string): Promise<void> {
    const count = (this.failures.get(remote) ?? 0) + 1;
    this.failures.delete(remote);
    this.failures.set(remote, count);
    if (this.failures.size > 10_000)
      this.failures.delete(this.failures.keys().next().value as string);
    const delay = this.delayFor(count);
    if (delay > 0) await (this.options.sleep ?? Bun.sleep)(delay);
  }

  succeeded(remote: string): void {
    this.failures.delete(remote);
  }

  delayFor(count: number): number {
    const excess = count - this.options.freeFailures;
    if (excess <= 0) return 0;
    return Math.min(this.options.maxDelayMs, this.options.delayMs * 2 ** (excess - 1));
  }
}
