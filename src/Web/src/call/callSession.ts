import type { IceServerConfig, SignalMessage } from "../api/types";

/** Sends a signaling message to the other party (through the hub; the room decides the recipient). */
export interface SignalingPort {
  send(kind: SignalMessage["kind"], payload: string): Promise<void>;
}

export interface CallSessionOptions {
  /** Perfect negotiation role: the polite side (patient) yields when both offer at once. */
  polite: boolean;
  iceServers: IceServerConfig[];
  relayOnly?: boolean;
  signaling: SignalingPort;
  createPeer?: (config: RTCConfiguration) => RTCPeerConnection;
  /** A video track that stands in for a missing camera until the sender is emptied (default: a blank canvas). */
  placeholderVideoTrack?: () => MediaStreamTrack | null;
  onRemoteStream?: (stream: MediaStream) => void;
  onStateChange?: (state: RTCPeerConnectionState) => void;
  onError?: (error: unknown) => void;
}

export interface CallStats {
  connectionState: string;
  iceConnectionState: string;
  framesDecoded: number;
  /** Size of the last decoded remote video frame (0 before the first one). */
  frameWidth: number;
  frameHeight: number;
  audioSamplesReceived: number;
  localCandidateType: string | null;
  remoteCandidateType: string | null;
  iceRestarts: number;
  lastSeq: number;
  roundTripTimeMs: number | null;
  packetsLost: number;
  packetsReceived: number;
  jitterMs: number | null;
}

/**
 * One WebRTC peer connection, negotiated with the "perfect negotiation" pattern so that either
 * side may (re)negotiate at any time: glare is resolved by roles, not by luck. Signals are
 * handled strictly one after another. ICE is restarted when the connection fails (a network
 * change on a phone, or the other browser's silo died and it came back through another one).
 */
export class CallSession {
  readonly pc: RTCPeerConnection;
  iceRestarts = 0;
  lastSeq = 0;
  private makingOffer = false;
  private ignoreOffer = false;
  private settingRemoteAnswer = false;
  private queue: Promise<void> = Promise.resolve();
  private disconnectedTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(private readonly options: CallSessionOptions) {
    const config: RTCConfiguration = {
      iceServers: options.iceServers.map((s) => ({ urls: s.urls, username: s.username ?? undefined, credential: s.credential ?? undefined })),
      iceTransportPolicy: options.relayOnly ? "relay" : "all",
    };
    this.pc = (options.createPeer ?? ((c) => new RTCPeerConnection(c)))(config);
    this.pc.onnegotiationneeded = () => void this.negotiate();
    this.pc.onicecandidate = ({ candidate }) => {
      // A null candidate only marks the end of gathering; nothing to send.
      if (candidate) void this.options.signaling.send("candidate", JSON.stringify(candidate.toJSON())).catch((e) => this.options.onError?.(e));
    };
    this.pc.ontrack = ({ streams }) => {
      if (streams[0]) this.options.onRemoteStream?.(streams[0]);
    };
    this.pc.onconnectionstatechange = () => this.options.onStateChange?.(this.pc.connectionState);
    this.pc.oniceconnectionstatechange = () => this.watchIce();
  }

  get polite(): boolean {
    return this.options.polite;
  }

  /** Adds the local camera and microphone; negotiation starts from here. */
  attachLocalStream(stream: MediaStream): void {
    for (const track of stream.getTracks()) this.pc.addTrack(track, stream);
    // Without a camera there is still a video sender, so a screen share can use it without renegotiation.
    if (stream.getVideoTracks().length === 0) {
      const unused = this.pc.getTransceivers().find((t) => t.receiver.track.kind === "video" && !t.sender.track && t.direction !== "stopped");
      if (unused) {
        unused.direction = "sendrecv";
        unused.sender.setStreams?.(stream); // missing in older Safari: the track then has no stream id
      } else {
        // The sender must come from addTrack, not addTransceiver: when the other side's offer crosses ours, the
        // polite side rolls back and the offered video line is matched only to transceivers made by addTrack. One
        // from addTransceiver would stay unmatched and add a third m-line in a later renegotiation. The placeholder
        // is taken off the sender at once and stopped; it never sends a frame of its own.
        const placeholder = (this.options.placeholderVideoTrack ?? blankCanvasTrack)();
        if (placeholder) {
          const sender = this.pc.addTrack(placeholder, stream);
          void sender.replaceTrack(null).finally(() => placeholder.stop());
        } else {
          this.pc.addTransceiver("video", { direction: "sendrecv", streams: [stream] });
        }
      }
    }
  }

  /** Sends another video track (screen or camera) on the existing video sender: no renegotiation. */
  async replaceVideoTrack(track: MediaStreamTrack | null): Promise<void> {
    const video = this.pc.getTransceivers().filter((t) => t.receiver.track.kind === "video" && t.direction !== "stopped");
    const sender = (video.find((t) => t.sender.track) ?? video.find((t) => t.direction.startsWith("send")))?.sender;
    if (!sender) throw new Error("Sem canal de vídeo nesta chamada.");
    await sender.replaceTrack(track);
  }

  /** Handles one signal from the other party, after every earlier one. */
  handleSignal(message: Pick<SignalMessage, "kind" | "payload" | "seq">): Promise<void> {
    // A re-join replays what may already have arrived: each sequence number is handled once.
    if (message.seq <= this.lastSeq) return this.queue;
    this.lastSeq = message.seq;
    this.queue = this.queue.then(() => this.process(message)).catch((e) => this.options.onError?.(e));
    return this.queue;
  }

  /** Renegotiates with fresh ICE candidates (both sides can call it; the roles sort out glare). */
  restartIce(): void {
    if (this.closed) return;
    this.iceRestarts++;
    this.pc.restartIce();
  }

  /** After the signaling connection came back: if media is not flowing, restart ICE. */
  recoverAfterReconnect(): void {
    const state = this.pc.iceConnectionState;
    if (state === "failed" || state === "disconnected") this.restartIce();
  }

  close(): void {
    this.closed = true;
    if (this.disconnectedTimer) clearTimeout(this.disconnectedTimer);
    this.pc.close();
  }

  /** The peer connection's state now ("connected" while media flows). */
  connectionState(): RTCPeerConnectionState {
    return this.pc.connectionState;
  }

  async stats(): Promise<CallStats> {
    const report = await this.pc.getStats();
    let framesDecoded = 0;
    let frameWidth = 0;
    let frameHeight = 0;
    let audioSamplesReceived = 0;
    let packetsLost = 0;
    let packetsReceived = 0;
    let jitter: number | null = null;
    let selectedPairId: string | null = null;
    const pairs = new Map<string, Record<string, unknown>>();
    const candidates = new Map<string, Record<string, unknown>>();
    report.forEach((entry: Record<string, unknown>) => {
      switch (entry["type"]) {
        case "inbound-rtp":
          if (entry["kind"] === "video") {
            framesDecoded += Number(entry["framesDecoded"] ?? 0);
            frameWidth = Number(entry["frameWidth"] ?? frameWidth);
            frameHeight = Number(entry["frameHeight"] ?? frameHeight);
          }
          if (entry["kind"] === "audio") {
            audioSamplesReceived += Number(entry["totalSamplesReceived"] ?? 0);
            if (typeof entry["jitter"] === "number") jitter = (entry["jitter"] as number) * 1000;
          }
          packetsLost += Number(entry["packetsLost"] ?? 0);
          packetsReceived += Number(entry["packetsReceived"] ?? 0);
          break;
        case "transport":
          if (typeof entry["selectedCandidatePairId"] === "string") selectedPairId = entry["selectedCandidatePairId"] as string;
          break;
        case "candidate-pair":
          pairs.set(entry["id"] as string, entry);
          break;
        case "local-candidate":
        case "remote-candidate":
          candidates.set(entry["id"] as string, entry);
          break;
      }
    });
    const pair =
      (selectedPairId ? pairs.get(selectedPairId) : undefined) ??
      [...pairs.values()].find((p) => p["nominated"] === true && p["state"] === "succeeded");
    const local = pair ? candidates.get(pair["localCandidateId"] as string) : undefined;
    const remote = pair ? candidates.get(pair["remoteCandidateId"] as string) : undefined;
    const rtt = pair && typeof pair["currentRoundTripTime"] === "number" ? (pair["currentRoundTripTime"] as number) * 1000 : null;
    return {
      connectionState: this.pc.connectionState,
      iceConnectionState: this.pc.iceConnectionState,
      framesDecoded,
      frameWidth,
      frameHeight,
      audioSamplesReceived,
      localCandidateType: (local?.["candidateType"] as string | undefined) ?? null,
      remoteCandidateType: (remote?.["candidateType"] as string | undefined) ?? null,
      iceRestarts: this.iceRestarts,
      lastSeq: this.lastSeq,
      roundTripTimeMs: rtt,
      packetsLost,
      packetsReceived,
      jitterMs: jitter,
    };
  }

  private async negotiate(): Promise<void> {
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      const sdp = this.pc.localDescription?.sdp;
      if (sdp) await this.options.signaling.send("offer", sdp);
    } catch (e) {
      this.options.onError?.(e);
    } finally {
      this.makingOffer = false;
    }
  }

  private async process(message: Pick<SignalMessage, "kind" | "payload" | "seq">): Promise<void> {
    if (this.closed) return;
    switch (message.kind) {
      case "offer":
      case "answer":
        await this.describe({ type: message.kind, sdp: message.payload });
        break;
      case "candidate":
        try {
          await this.pc.addIceCandidate(JSON.parse(message.payload) as RTCIceCandidateInit);
        } catch (e) {
          // Candidates of an offer we chose to ignore are expected to fail.
          if (!this.ignoreOffer) throw e;
        }
        break;
      case "restart":
        this.restartIce();
        break;
      case "bye":
        break;
    }
  }

  private async describe(description: RTCSessionDescriptionInit): Promise<void> {
    const readyForOffer = !this.makingOffer && (this.pc.signalingState === "stable" || this.settingRemoteAnswer);
    const collision = description.type === "offer" && !readyForOffer;
    this.ignoreOffer = !this.options.polite && collision;
    if (this.ignoreOffer) return;
    this.settingRemoteAnswer = description.type === "answer";
    await this.pc.setRemoteDescription(description); // a polite peer rolls back its own offer implicitly
    this.settingRemoteAnswer = false;
    if (description.type === "offer") {
      await this.pc.setLocalDescription();
      const sdp = this.pc.localDescription?.sdp;
      if (sdp) await this.options.signaling.send("answer", sdp);
    }
  }

  // "failed" restarts at once; "disconnected" gets a few seconds to heal on its own first.
  private watchIce(): void {
    const state = this.pc.iceConnectionState;
    if (this.disconnectedTimer) {
      clearTimeout(this.disconnectedTimer);
      this.disconnectedTimer = null;
    }

    if (state === "failed") {
      this.restartIce();
    } else if (state === "disconnected") {
      this.disconnectedTimer = setTimeout(() => {
        if (this.pc.iceConnectionState === "disconnected") this.restartIce();
      }, 4000);
    }
  }
}

/** A video track from a never-drawn 2x2 canvas, or null where canvases cannot be captured. */
function blankCanvasTrack(): MediaStreamTrack | null {
  if (typeof document === "undefined") return null;
  const canvas = document.createElement("canvas");
  canvas.width = 2;
  canvas.height = 2;
  return typeof canvas.captureStream === "function" ? (canvas.captureStream(0).getVideoTracks()[0] ?? null) : null;
}
