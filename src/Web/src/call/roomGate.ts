/**
 * Holds a call's outgoing signals while this tab's hub connection is not in the room: after a lost
 * connection the new one must first resume the room (the hub refuses signals from a connection that has
 * not joined), and a signal refused then would be lost for good — an ICE-restart offer with no answer
 * leaves the negotiation stuck. Waiters are released in the order they arrived.
 */
export class RoomGate {
  private inRoom = false;
  private waiters: (() => void)[] = [];

  /** Bumped each time the connection leaves the room: a send that failed across a change is sent again. */
  epoch = 0;

  get open(): boolean {
    return this.inRoom;
  }

  /** The connection is gone (reconnecting): later sends wait for the next {@link enter}. */
  close(): void {
    if (this.inRoom) this.epoch++;
    this.inRoom = false;
  }

  /** The connection (re)joined the room: releases what waited, in order. */
  enter(): void {
    this.inRoom = true;
    const waiting = this.waiters;
    this.waiters = [];
    waiting.forEach((release) => release());
  }

  wait(): Promise<void> {
    return this.inRoom ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Sends through {@link send} once in the room; if it fails while the connection changed under it
   * ({@link isConnected} false, or the gate closed meanwhile), waits for the next join and sends again.
   * Any other failure is the caller's.
   */
  async send(send: () => Promise<void>, isConnected: () => boolean): Promise<void> {
    for (;;) {
      await this.wait();
      const epoch = this.epoch;
      try {
        return await send();
      } catch (e) {
        if (this.epoch === epoch && this.inRoom && isConnected()) throw e;
      }
    }
  }
}
