import { describe, expect, it } from "vitest";
import { CallSession } from "./callSession";

/** Just enough of RTCPeerConnection's signaling state machine to exercise perfect negotiation. */
class FakePeer {
  signalingState: RTCSignalingState = "stable";
  connectionState = "new";
  iceConnectionState = "new";
  localDescription: { type: string; sdp: string } | null = null;
  remote: { type: string; sdp: string } | null = null;
  candidates: unknown[] = [];
  restarts = 0;
  onnegotiationneeded: (() => void) | null = null;
  onicecandidate: ((e: { candidate: { toJSON(): unknown } | null }) => void) | null = null;
  ontrack: unknown = null;
  onconnectionstatechange: unknown = null;
  oniceconnectionstatechange: unknown = null;
  private offers = 0;

  async setLocalDescription(): Promise<void> {
    if (this.signalingState === "have-remote-offer") {
      this.localDescription = { type: "answer", sdp: `v=0\r\nanswer-to ${this.remote!.sdp}` };
      this.signalingState = "stable";
    } else {
      this.localDescription = { type: "offer", sdp: `v=0\r\noffer-${++this.offers}` };
      this.signalingState = "have-local-offer";
    }
  }

  async setRemoteDescription(description: { type: string; sdp: string }): Promise<void> {
    if (description.type === "offer") {
      // A polite peer in have-local-offer rolls back implicitly.
      this.signalingState = "have-remote-offer";
    } else {
      if (this.signalingState !== "have-local-offer") throw new Error("answer in wrong state");
      this.signalingState = "stable";
    }
    this.remote = description;
  }

  async addIceCandidate(candidate: unknown): Promise<void> {
    if (!this.remote) throw new Error("no remote description");
    this.candidates.push(candidate);
  }

  transceivers: FakeTransceiver[] = [];

  addTrack(track: { kind: string }): FakeTransceiver["sender"] {
    const transceiver = new FakeTransceiver(track.kind, track, "sendrecv", "addTrack");
    this.transceivers.push(transceiver);
    return transceiver.sender;
  }

  addTransceiver(kind: string, init: { direction: string }): void {
    this.transceivers.push(new FakeTransceiver(kind, null, init.direction, "addTransceiver"));
  }

  getTransceivers(): FakeTransceiver[] {
    return this.transceivers;
  }

  restartIce(): void {
    this.restarts++;
  }

  close(): void {}
}

class FakeTransceiver {
  readonly receiver: { track: { kind: string } };
  readonly sender: { track: unknown; replaceTrack(track: unknown): Promise<void>; setStreams(): void };
  constructor(
    kind: string,
    track: unknown,
    public direction: string,
    readonly madeBy: "addTrack" | "addTransceiver" | "remote offer" = "remote offer",
  ) {
    this.receiver = { track: { kind } };
    this.sender = { track, replaceTrack: async (t) => void (this.sender.track = t), setStreams: () => {} };
  }
}

function session(polite: boolean, placeholderVideoTrack?: () => MediaStreamTrack | null) {
  const peer = new FakePeer();
  const sent: { kind: string; payload: string }[] = [];
  const errors: unknown[] = [];
  const s = new CallSession({
    polite,
    iceServers: [],
    signaling: { send: async (kind, payload) => void sent.push({ kind, payload }) },
    createPeer: () => peer as unknown as RTCPeerConnection,
    onError: (e) => errors.push(e),
    placeholderVideoTrack: placeholderVideoTrack ?? (() => null),
  });
  return { s, peer, sent, errors };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("CallSession (perfect negotiation)", () => {
  it("sends its offer as raw SDP starting with v=", async () => {
    const { peer, sent } = session(false);
    peer.onnegotiationneeded!();
    await flush();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.kind).toBe("offer");
    expect(sent[0]!.payload.startsWith("v=")).toBe(true);
  });

  it("sends candidates as JSON strings and skips the end-of-candidates null", async () => {
    const { peer, sent } = session(true);
    peer.onicecandidate!({ candidate: { toJSON: () => ({ candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", sdpMid: "0" }) } });
    peer.onicecandidate!({ candidate: null });
    await flush();
    expect(sent).toEqual([{ kind: "candidate", payload: JSON.stringify({ candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", sdpMid: "0" }) }]);
  });

  it("polite side yields on glare: rolls back its offer and answers the other one", async () => {
    const { s, peer, sent } = session(true);
    peer.onnegotiationneeded!();
    await flush();
    expect(peer.signalingState).toBe("have-local-offer");
    await s.handleSignal({ kind: "offer", payload: "v=0\r\nremote-offer", seq: 1 });
    expect(sent.map((m) => m.kind)).toEqual(["offer", "answer"]);
    expect(sent[1]!.payload).toContain("answer-to v=0\r\nremote-offer");
    expect(peer.signalingState).toBe("stable");
  });

  it("impolite side ignores a colliding offer and its candidates without errors", async () => {
    const { s, peer, sent, errors } = session(false);
    peer.onnegotiationneeded!();
    await flush();
    await s.handleSignal({ kind: "offer", payload: "v=0\r\nremote-offer", seq: 1 });
    await s.handleSignal({ kind: "candidate", payload: JSON.stringify({ candidate: "c" }), seq: 2 });
    expect(sent.map((m) => m.kind)).toEqual(["offer"]);
    expect(peer.signalingState).toBe("have-local-offer");
    expect(errors).toEqual([]);

    // The polite peer then answers our offer and we settle.
    await s.handleSignal({ kind: "answer", payload: "v=0\r\nanswer", seq: 3 });
    expect(peer.signalingState).toBe("stable");
    expect(s.lastSeq).toBe(3);
  });

  it("handles a replayed signal once (re-join after a lost connection)", async () => {
    const { s, peer, sent } = session(true);
    await s.handleSignal({ kind: "offer", payload: "v=0\r\nremote", seq: 7 });
    // The room replays seq 7 (already handled) and then 8 after ResumeRoom(roomId, 7).
    await s.handleSignal({ kind: "offer", payload: "v=0\r\nremote", seq: 7 });
    await s.handleSignal({ kind: "candidate", payload: JSON.stringify({ candidate: "a" }), seq: 8 });
    expect(sent.filter((m) => m.kind === "answer")).toHaveLength(1);
    expect(peer.signalingState).toBe("stable");
    expect(s.lastSeq).toBe(8);
  });

  it("handles signals strictly in order", async () => {
    const { s, peer } = session(true);
    const order = [
      s.handleSignal({ kind: "offer", payload: "v=0\r\nremote", seq: 1 }),
      s.handleSignal({ kind: "candidate", payload: JSON.stringify({ candidate: "a" }), seq: 2 }),
      s.handleSignal({ kind: "candidate", payload: JSON.stringify({ candidate: "b" }), seq: 3 }),
    ];
    await Promise.all(order);
    expect(peer.candidates).toEqual([{ candidate: "a" }, { candidate: "b" }]);
  });

  it("restarts ICE when asked by the other side or after a reconnect with failed media", async () => {
    const { s, peer } = session(true);
    await s.handleSignal({ kind: "restart", payload: "", seq: 1 });
    expect(peer.restarts).toBe(1);
    peer.iceConnectionState = "failed";
    s.recoverAfterReconnect();
    expect(peer.restarts).toBe(2);
    peer.iceConnectionState = "connected";
    s.recoverAfterReconnect();
    expect(peer.restarts).toBe(2);
    expect(s.iceRestarts).toBe(2);
  });
});

describe("CallSession video sender", () => {
  const track = (kind: string, label: string) => ({ kind, label });
  const streamOf = (...tracks: { kind: string }[]) =>
    ({ getTracks: () => tracks, getVideoTracks: () => tracks.filter((t) => t.kind === "video") }) as unknown as MediaStream;

  it("swaps the camera for another track on the same sender, without a new transceiver", async () => {
    const { s, peer } = session(true);
    s.attachLocalStream(streamOf(track("audio", "mic"), track("video", "camera")));
    await s.replaceVideoTrack(track("video", "screen") as unknown as MediaStreamTrack);
    expect(peer.transceivers.map((t) => (t.sender.track as { label: string }).label)).toEqual(["mic", "screen"]);
  });

  it("makes the camera-less video sender with addTrack, so an offer crossing ours reuses it, and empties it", async () => {
    let stopped = false;
    const placeholder = { kind: "video", label: "placeholder", stop: () => void (stopped = true) };
    const { s, peer } = session(true, () => placeholder as unknown as MediaStreamTrack);
    s.attachLocalStream(streamOf(track("audio", "mic")));
    await flush();
    expect(peer.transceivers.map((t) => [t.receiver.track.kind, t.direction, t.madeBy])).toEqual([
      ["audio", "sendrecv", "addTrack"],
      ["video", "sendrecv", "addTrack"],
    ]);
    expect(peer.transceivers[1]!.sender.track).toBeNull();
    expect(stopped).toBe(true);
    await s.replaceVideoTrack(track("video", "screen") as unknown as MediaStreamTrack);
    expect((peer.transceivers[1]!.sender.track as { label: string }).label).toBe("screen");
  });

  it("keeps a video sender for a participant without a camera, so a screen share needs no renegotiation", async () => {
    const { s, peer } = session(true);
    s.attachLocalStream(streamOf(track("audio", "mic")));
    expect(peer.transceivers.map((t) => [t.receiver.track.kind, t.direction])).toEqual([["audio", "sendrecv"], ["video", "sendrecv"]]);
    await s.replaceVideoTrack(track("video", "screen") as unknown as MediaStreamTrack);
    expect((peer.transceivers[1]!.sender.track as { label: string }).label).toBe("screen");
  });

  it("reuses the video line the other side offered instead of adding a second one", () => {
    const { s, peer } = session(true);
    peer.transceivers.push(new FakeTransceiver("video", null, "recvonly"));
    s.attachLocalStream(streamOf());
    expect(peer.transceivers.map((t) => t.direction)).toEqual(["sendrecv"]);
  });
});
