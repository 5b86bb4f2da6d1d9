/** The part of the call session a screen share needs: swap what the video sender sends. */
export interface VideoSender {
  replaceVideoTrack(track: MediaStreamTrack | null): Promise<void>;
}

export interface ScreenShareOptions {
  mediaDevices: Pick<MediaDevices, "getDisplayMedia"> | undefined;
  sender: VideoSender;
  /** The camera track to go back to (null when joined without a camera). */
  camera: () => MediaStreamTrack | null;
  /** Called with the screen track when sharing starts, and with null when back on the camera. */
  onChange: (screen: MediaStreamTrack | null) => void;
}

export type ShareResult = { ok: true } | { ok: false; cancelled: boolean; message: string };

/**
 * Screen sharing over the call's existing video sender: replaceTrack swaps camera and screen
 * without renegotiation, so the other side just sees the new picture. Sharing ends with the
 * button or with the browser's own "stop sharing" control (the track ends).
 */
export class ScreenShare {
  private screen: MediaStreamTrack | null = null;
  private starting = false;

  constructor(private readonly options: ScreenShareOptions) {}

  /** Phones and old browsers have no getDisplayMedia: the button is not offered there. */
  static supported(mediaDevices: Partial<Pick<MediaDevices, "getDisplayMedia">> | undefined): boolean {
    return typeof mediaDevices?.getDisplayMedia === "function";
  }

  get sharing(): boolean {
    return this.screen !== null;
  }

  async start(): Promise<ShareResult> {
    if (this.screen || this.starting) return { ok: true };
    this.starting = true;
    let track: MediaStreamTrack | undefined;
    try {
      // A low frame rate keeps documents sharp on a poor connection.
      const stream = await this.options.mediaDevices!.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 15 } }, audio: false });
      track = stream.getVideoTracks()[0];
      if (!track) throw new Error("no video track");
      track.contentHint = "detail";
      await this.options.sender.replaceVideoTrack(track);
    } catch (e) {
      track?.stop();
      const cancelled = e instanceof Error && e.name === "NotAllowedError";
      return { ok: false, cancelled, message: cancelled ? "Compartilhamento de tela cancelado." : "Não foi possível compartilhar a tela." };
    } finally {
      this.starting = false;
    }

    this.screen = track;
    const sharing = track;
    sharing.addEventListener("ended", () => void this.stop(sharing));
    this.options.onChange(sharing);
    return { ok: true };
  }

  /** Back to the camera; `which` guards against a late "ended" of an earlier share. */
  async stop(which: MediaStreamTrack | null = this.screen): Promise<void> {
    if (!this.screen || which !== this.screen) return;
    const screen = this.screen;
    this.screen = null;
    await this.options.sender.replaceVideoTrack(this.options.camera()).catch(() => {
      // The call is closing; nothing left to send on.
    });
    screen.stop();
    this.options.onChange(null);
  }
}
