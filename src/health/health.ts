export interface CheckResult {
  readonly status: "ok" | "failing";
  /** A failing required check makes the registry unhealthy (503). */
  readonly required: boolean;
  readonly error?: string;
  readonly checkedAt?: string;
}

export interface HealthCheck {
  readonly name: string;
  readonly required: boolean;
  result(): Promise<CheckResult>;
}

export interface HealthReport {
  readonly healthy: boolean;
  readonly checks: Record<string, CheckResult>;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * A probe run every `interval`; it reports failing once `threshold` probes in a row failed
 * (Distribution's `health.storagedriver` semantics), and ok again after one success.
 */
export class PeriodicCheck implements HealthCheck {
  private failures = 0;
  private lastError?: string;
  private checkedAt?: Date;
  private timer?: ReturnType<typeof setInterval>;

  constructor(
    readonly name: string,
    readonly required: boolean,
    private readonly probe: () => Promise<void>,
    private readonly options: { interval: number; threshold: number },
  ) {}

  async start(): Promise<void> {
    await this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), Math.max(10, this.options.interval));
    (this.timer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async runOnce(): Promise<void> {
    try {
      await this.probe();
      this.failures = 0;
      this.lastError = undefined;
    } catch (err) {
      this.failures++;
      this.lastError = message(err);
    }
    this.checkedAt = new Date();
  }

  async result(): Promise<CheckResult> {
    const failing = this.failures >= Math.max(1, this.options.threshold);
    return {
      status: failing ? "failing" : "ok",
      required: this.required,
      ...(this.lastError ? { error: this.lastError } : {}),
      ...(this.checkedAt ? { checkedAt: this.checkedAt.toISOString() } : {}),
    };
  }
}

/** A check run when health is asked for (Redis ping, upstream reachability), bounded in time. */
export class OnDemandCheck implements HealthCheck {
  constructor(
    readonly name: string,
    readonly required: boolean,
    private readonly probe: () => Promise<void>,
    private readonly timeoutMs = 2000,
  ) {}

  async result(): Promise<CheckResult> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      await Promise.race([this.probe(), timeout]);
      return { status: "ok", required: this.required, checkedAt: new Date().toISOString() };
    } catch (err) {
      return {
        status: "failing",
        required: this.required,
        error: message(err),
        checkedAt: new Date().toISOString(),
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

export class Health {
  constructor(readonly checks: readonly HealthCheck[]) {}

  async report(): Promise<HealthReport> {
    const results = await Promise.all(
      this.checks.map(async (check) => [check.name, await check.result()] as const),
    );
    const checks = Object.fromEntries(results);
    return {
      healthy: results.every(([, result]) => result.status === "ok" || !result.required),
      checks,
    };
  }

  async start(): Promise<void> {
    for (const check of this.checks) if (check instanceof PeriodicCheck) await check.start();
  }

  stop(): void {
    for (const check of this.checks) if (check instanceof PeriodicCheck) check.stop();
  }
}
