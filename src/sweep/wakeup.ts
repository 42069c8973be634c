/**
 * What a deterministic sweep's waiting workers wait on: a proposal that needs an earlier trial's
 * result, or a verdict that needs earlier trials at the same rung. This process's own progress
 * (an epoch recorded, a trial ended, a trial proposed) wakes them at once; another process's
 * (a `sweep worker` elsewhere) is seen at the next look, every `pollMs`.
 */
export class Wakeup {
  private waiters: (() => void)[] = [];
  /** Milliseconds spent waiting, summed over waiters: what determinism cost this run. */
  waitedMs = 0;

  constructor(readonly pollMs = 250) {}

  /** Something changed: every waiter looks again. */
  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves at the next notify, after `pollMs`, or once `signal` aborts, whichever comes first. */
  wait(signal?: AbortSignal): Promise<void> {
    const started = performance.now();
    return new Promise<void>((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        this.waitedMs += performance.now() - started;
        resolve();
      };
      const timer = setTimeout(finish, this.pollMs);
      signal?.addEventListener('abort', finish);
      this.waiters.push(finish);
    });
  }
}
