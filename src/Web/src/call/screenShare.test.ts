import { describe, expect, it } from "vitest";
import { ScreenShare } from "./screenShare";

class FakeTrack extends EventTarget {
  stopped = false;
  contentHint = "";
  constructor(readonly label: string) {
    super();
  }

  stop(): void {
    this.stopped = true;
  }
}

function setup(getDisplayMedia: () => Promise<MediaStream>) {
  const camera = new FakeTrack("camera") as unknown as MediaStreamTrack;
  const sent: (string | null)[] = [];
  const changes: (string | null)[] = [];
  const share = new ScreenShare({
    mediaDevices: { getDisplayMedia },
    sender: { replaceVideoTrack: async (t) => void sent.push(t?.label ?? null) },
    camera: () => camera,
    onChange: (t) => changes.push(t?.label ?? null),
  });
  return { share, sent, changes };
}

const displayOf = (track: FakeTrack) => async () => ({ getVideoTracks: () => [track] }) as unknown as MediaStream;

describe("ScreenShare", () => {
  it("is offered only where getDisplayMedia exists", () => {
    expect(ScreenShare.supported(undefined)).toBe(false);
    expect(ScreenShare.supported({})).toBe(false);
    expect(ScreenShare.supported({ getDisplayMedia: async () => ({}) as MediaStream })).toBe(true);
  });

  it("sends the screen in place of the camera, then the camera again", async () => {
    const screen = new FakeTrack("screen");
    const { share, sent, changes } = setup(displayOf(screen));
    expect(await share.start()).toEqual({ ok: true });
    expect(share.sharing).toBe(true);
    expect(screen.contentHint).toBe("detail");
    await share.stop();
    expect(sent).toEqual(["screen", "camera"]);
    expect(changes).toEqual(["screen", null]);
    expect(screen.stopped).toBe(true);
    expect(share.sharing).toBe(false);
  });

  it("goes back to the camera when the browser's own 'stop sharing' ends the track, once", async () => {
    const screen = new FakeTrack("screen");
    const { share, sent } = setup(displayOf(screen));
    await share.start();
    screen.dispatchEvent(new Event("ended"));
    screen.dispatchEvent(new Event("ended"));
    await share.stop();
    await new Promise((r) => setTimeout(r, 0));
    expect(sent).toEqual(["screen", "camera"]);
  });

  it("reports a cancelled picker quietly and keeps the camera", async () => {
    const { share, sent, changes } = setup(async () => {
      throw new DOMException("Permission denied by user", "NotAllowedError");
    });
    expect(await share.start()).toEqual({ ok: false, cancelled: true, message: "Compartilhamento de tela cancelado." });
    expect(sent).toEqual([]);
    expect(changes).toEqual([]);
    expect(share.sharing).toBe(false);
  });

  it("releases the screen if it cannot be sent", async () => {
    const screen = new FakeTrack("screen");
    const share = new ScreenShare({
      mediaDevices: { getDisplayMedia: displayOf(screen) },
      sender: { replaceVideoTrack: async () => { throw new Error("closed"); } },
      camera: () => null,
      onChange: () => {},
    });
    expect(await share.start()).toEqual({ ok: false, cancelled: false, message: "Não foi possível compartilhar a tela." });
    expect(screen.stopped).toBe(true);
    expect(share.sharing).toBe(false);
  });
});
