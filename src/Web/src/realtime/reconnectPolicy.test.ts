import { describe, expect, it } from "vitest";
import { ForeverRetryPolicy } from "./reconnectPolicy";

describe("ForeverRetryPolicy", () => {
  it("starts fast and never gives up", () => {
    const policy = new ForeverRetryPolicy(() => 0.5);
    const delays = Array.from({ length: 200 }, (_, i) => policy.nextRetryDelayInMilliseconds({ previousRetryCount: i, elapsedMilliseconds: i * 5000, retryReason: new Error("x") }));
    expect(delays.slice(0, 4)).toEqual([0, 1000, 2000, 5000]);
    expect(delays.every((d) => d !== null && d >= 0 && d <= 10_000)).toBe(true);
  });

  it("spreads later retries with jitter", () => {
    const low = new ForeverRetryPolicy(() => 0).nextRetryDelayInMilliseconds({ previousRetryCount: 9, elapsedMilliseconds: 0, retryReason: new Error() });
    const high = new ForeverRetryPolicy(() => 0.999).nextRetryDelayInMilliseconds({ previousRetryCount: 9, elapsedMilliseconds: 0, retryReason: new Error() });
    expect(low).toBe(5000);
    expect(high).toBeGreaterThan(9000);
  });
});
