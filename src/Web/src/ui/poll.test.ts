import { describe, expect, it } from "vitest";
import { poller } from "./poll";

function fakeTimers() {
  const queue: Array<{ run: () => void; ms: number }> = [];
  return { queue, schedule: (run: () => void, ms: number) => void queue.push({ run, ms }) };
}

describe("poller", () => {
  it("keeps polling after a failed poll, until the status settles", async () => {
    const timers = fakeTimers();
    const answers: Array<boolean | Error> = [true, new Error("503"), true, false];
    let calls = 0;
    const run = poller(async () => {
      const answer = answers[calls++];
      if (answer instanceof Error) throw answer;
      return answer;
    }, () => true, 2000, timers.schedule);

    await run();
    while (timers.queue.length > 0) {
      timers.queue.shift()!.run();
      await new Promise((r) => setTimeout(r, 0));
    }

    expect(calls).toBe(4);
  });

  it("stops when the view is gone", async () => {
    const timers = fakeTimers();
    const run = poller(async () => true, () => false, 2000, timers.schedule);
    await run();
    expect(timers.queue).toHaveLength(0);
  });

  it("schedules one poll at a time when called again meanwhile", async () => {
    const timers = fakeTimers();
    const run = poller(async () => true, () => true, 2000, timers.schedule);
    await run();
    await run();
    expect(timers.queue).toHaveLength(1);
    expect(timers.queue[0].ms).toBe(2000);
  });
});
