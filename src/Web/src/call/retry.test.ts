import { describe, expect, it } from "vitest";
import { Hub } from "../realtime/hub";
import { sendWithRetry } from "./retry";

describe("sendWithRetry", () => {
  it("retries while the room recovers, then succeeds", async () => {
    let calls = 0;
    const waits: number[] = [];
    await sendWithRetry(
      async () => {
        calls++;
        if (calls < 4) throw new Error("A sala está se recuperando de uma falha no servidor; tente novamente em instantes.");
      },
      async (ms) => void waits.push(ms),
    );
    expect(calls).toBe(4);
    expect(waits).toEqual([250, 500, 1000]);
  });

  it("retries a signal whose connection dropped under it, as the hub words it", async () => {
    let calls = 0;
    await sendWithRetry(async () => {
      calls++;
      if (calls < 2) throw new Error(Hub.connectionLost);
    }, async () => {});
    expect(calls).toBe(2);
  });

  it("does not retry a refusal", async () => {
    let calls = 0;
    await expect(sendWithRetry(async () => {
      calls++;
      throw new Error("Destinatário inválido.");
    }, async () => {})).rejects.toThrow("Destinatário inválido.");
    expect(calls).toBe(1);
  });
});
