/** Runs a function later (setTimeout in the page; a fake in tests). */
export type Schedule = (run: () => void, ms: number) => void;

/**
 * Polls a status until it settles: `step` fetches and shows it, and says whether to look again. A failed step
 * (network loss, a 503 while a silo restarts) is tried again on the same schedule: one failure used to end the
 * polling, and a data export stayed "preparing" on screen although the server had finished it. Stops when
 * `alive` says the view is gone; at most one poll is scheduled at a time, however often the returned function is
 * called (a click and a timer may both call it).
 */
export function poller(
  step: () => Promise<boolean>,
  alive: () => boolean,
  intervalMs = 2000,
  schedule: Schedule = (run, ms) => void setTimeout(run, ms),
): () => Promise<void> {
  let scheduled = false;
  const run = async (): Promise<void> => {
    let again: boolean;
    try {
      again = await step();
    } catch {
      again = true;
    }
    if (again && alive() && !scheduled) {
      scheduled = true;
      schedule(() => {
        scheduled = false;
        void run();
      }, intervalMs);
    }
  };
  return run;
}
