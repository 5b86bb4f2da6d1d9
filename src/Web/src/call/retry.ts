/**
 * Runs a hub call, retrying while the room recovers from a server crash (the hub answers
 * "tente novamente" until membership moves the room) or the connection is coming back:
 * 250 ms, 500 ms, 1 s, then every 2 s, up to 30 s. Refusals are not retried.
 */
export async function withRetry<T>(call: () => Promise<T>, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (let delay = 250; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      return await call();
    } catch (e) {
      const message = e instanceof Error ? e.message : "";
      // "Tentando reconectar": the hub's own words when the connection is down or dropped under the call.
      const transient = /tente novamente|recuperando|reconectar|not in the 'Connected' State|connection/i.test(message);
      if (!transient || Date.now() + delay > deadline) throw e;
      await sleep(delay);
    }
  }
}

/**
 * Sends one signal with {@link withRetry}. Offers and answers are awaited by the session, so their
 * retries keep their order; a retried ICE candidate may land after a later one, which ICE does not mind.
 */
export async function sendWithRetry(send: () => Promise<unknown>, sleep?: (ms: number) => Promise<unknown>): Promise<void> {
  await withRetry(send, sleep as ((ms: number) => Promise<void>) | undefined);
}
