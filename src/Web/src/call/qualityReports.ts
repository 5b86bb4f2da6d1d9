/**
 * When a participant's media-quality report is sent to the call record: at most once a minute, unless forced (the
 * call is ending). The minute counts from the last report the server accepted: a report that failed (the room was
 * recovering, the network dropped) is offered again at the next measurement, not a minute later — a call shorter than
 * that would otherwise keep no report from this side.
 */
export class QualityReports<T> {
  private lastAcceptedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly send: (report: T) => Promise<unknown>,
    private readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sends the report when due (or forced); resolves true when it was sent and accepted, rejects when sending failed. */
  async offer(report: T, force: boolean): Promise<boolean> {
    if (!force && this.now() - this.lastAcceptedAt < this.intervalMs) return false;
    await this.send(report);
    this.lastAcceptedAt = this.now();
    return true;
  }
}
