import { describe, expect, it } from "vitest";
import { RoomGate } from "./roomGate";

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("RoomGate", () => {
  it("holds sends until the connection is in the room, then releases them in order", async () => {
    const gate = new RoomGate();
    const sent: string[] = [];
    const a = gate.send(async () => void sent.push("offer"), () => true);
    const b = gate.send(async () => void sent.push("candidate"), () => true);
    await flush();
    expect(sent).toEqual([]);
    gate.enter();
    await Promise.all([a, b]);
    expect(sent).toEqual(["offer", "candidate"]);
  });

  it("sends again after the next join when the connection was lost under a send", async () => {
    const gate = new RoomGate();
    gate.enter();
    let connected = true;
    const attempts: string[] = [];
    const sending = gate.send(async () => {
      attempts.push(connected ? "connected" : "gone");
      if (attempts.length === 1) {
        // The socket closes while the invocation is in flight; the hub refuses it.
        connected = false;
        gate.close();
        throw new Error("Sem conexão com o servidor. Tentando reconectar...");
      }
    }, () => connected);
    await flush();
    expect(attempts).toEqual(["connected"]);
    connected = true;
    gate.enter();
    await sending;
    expect(attempts).toEqual(["connected", "connected"]);
  });

  it("passes on a refusal while in the room and connected (a real error, not a reconnect)", async () => {
    const gate = new RoomGate();
    gate.enter();
    await expect(gate.send(async () => { throw new Error("Mensagem de sinalização muito grande."); }, () => true)).rejects.toThrow("muito grande");
  });
});
