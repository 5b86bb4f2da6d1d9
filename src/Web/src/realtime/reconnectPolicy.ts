import type { IRetryPolicy, RetryContext } from "@microsoft/signalr";

/**
 * Never gives up (the default stops after 4 tries, ~42 s; a phone in a tunnel needs longer):
 * 0, 1, 2, 5 s, then every 5–10 s with jitter so that thousands of clients of a dead silo do not
 * reconnect in lockstep.
 */
export class ForeverRetryPolicy implements IRetryPolicy {
  private static readonly steps = [0, 1000, 2000, 5000];

  constructor(private readonly random: () => number = Math.random) {}

  nextRetryDelayInMilliseconds(context: RetryContext): number {
    const step = ForeverRetryPolicy.steps[context.previousRetryCount];
    if (step !== undefined) return step;
    return 5000 + Math.floor(this.random() * 5000);
  }
}
