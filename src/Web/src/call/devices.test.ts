import { describe, expect, it } from "vitest";
import { acquireMedia, constraintsFor, deviceOptions, loadDeviceChoice, mediaErrorMessage, micLevel, NO_CAMERA, saveDeviceChoice, selectedDevice } from "./devices";

function memoryStorage(initial?: string) {
  const items = new Map<string, string>(initial === undefined ? [] : [["telemedicina.devices", initial]]);
  return { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v), items };
}

const stream = (label: string) => ({ label }) as unknown as MediaStream;
const denied = () => Object.assign(new Error("denied"), { name: "NotAllowedError" });
const notFound = () => Object.assign(new Error("none"), { name: "NotFoundError" });

describe("device preference", () => {
  it("remembers the chosen camera and microphone", () => {
    const storage = memoryStorage();
    saveDeviceChoice(storage, { cameraId: "cam-2", micId: "mic-1" });
    expect(loadDeviceChoice(storage)).toEqual({ cameraId: "cam-2", micId: "mic-1" });
  });

  it.each([undefined, "", "not json", "null", "42", '{"cameraId":7,"micId":["x"]}', `{"cameraId":"${"x".repeat(600)}"}`, '{"cameraId":"none"}'])(
    "treats unreadable storage %s as no preference",
    (raw) => expect(loadDeviceChoice(memoryStorage(raw))).toEqual({ cameraId: "", micId: "" }),
  );

  it("survives storage that throws (private mode, full quota) or is missing", () => {
    const broken = { getItem: () => { throw new Error("SecurityError"); }, setItem: () => { throw new Error("QuotaExceededError"); } };
    expect(loadDeviceChoice(broken)).toEqual({ cameraId: "", micId: "" });
    expect(() => saveDeviceChoice(broken, { cameraId: "a", micId: "b" })).not.toThrow();
    expect(loadDeviceChoice(undefined)).toEqual({ cameraId: "", micId: "" });
  });

  it("lists the devices of one kind, naming unlabelled ones and dropping duplicates", () => {
    const devices = [
      { kind: "audioinput", deviceId: "default", label: "Padrão" },
      { kind: "videoinput", deviceId: "cam-1", label: "" },
      { kind: "videoinput", deviceId: "cam-2", label: "USB" },
      { kind: "videoinput", deviceId: "cam-2", label: "USB" },
      { kind: "videoinput", deviceId: "", label: "" },
    ] as MediaDeviceInfo[];
    expect(deviceOptions(devices, "videoinput")).toEqual([{ id: "cam-1", label: "Câmera 1" }, { id: "cam-2", label: "USB" }]);
    expect(deviceOptions(devices, "audioinput")).toEqual([{ id: "default", label: "Padrão" }]);
  });

  it("selects the device in use, else the remembered one if it is still there, else the first", () => {
    const options = [{ id: "a", label: "A" }, { id: "b", label: "B" }];
    expect(selectedDevice(options, "b", "a")).toBe("b");
    expect(selectedDevice(options, undefined, "b")).toBe("b");
    expect(selectedDevice(options, "gone", "also-gone")).toBe("a");
    expect(selectedDevice([], undefined, "a")).toBe("");
  });

  it("asks for exactly the chosen devices, and for no video without a camera", () => {
    expect(constraintsFor({ cameraId: "cam", micId: "mic" }, "audio")).toEqual({ deviceId: { exact: "mic" } });
    expect(constraintsFor({ cameraId: "cam", micId: "" }, "video")).toEqual({ width: { ideal: 640 }, height: { ideal: 480 }, deviceId: { exact: "cam" } });
    expect(constraintsFor({ cameraId: "", micId: "" }, "audio")).toEqual({});
    expect(constraintsFor({ cameraId: NO_CAMERA, micId: "" }, "video")).toBe(false);
  });
});

describe("acquireMedia", () => {
  const choice = { cameraId: "", micId: "" };

  it("gets camera and microphone together when both work", async () => {
    const asked: MediaStreamConstraints[] = [];
    const result = await acquireMedia(async (c) => (asked.push(c), stream("av")), choice);
    expect(result).toEqual({ stream: stream("av"), videoError: null, audioError: null });
    expect(asked).toHaveLength(1);
  });

  it("falls back to audio only when the camera is refused or missing", async () => {
    const result = await acquireMedia(async (c) => {
      if (c.video) throw notFound();
      return stream("a");
    }, choice);
    expect(result.stream).toEqual(stream("a"));
    expect((result.videoError as Error).name).toBe("NotFoundError");
    expect(result.audioError).toBeNull();
  });

  it("falls back to the camera alone when only the microphone fails", async () => {
    const result = await acquireMedia(async (c) => {
      if (c.audio) throw denied();
      return stream("v");
    }, choice);
    expect(result.stream).toEqual(stream("v"));
    expect(result.videoError).toBeNull();
    expect((result.audioError as Error).name).toBe("NotAllowedError");
  });

  it("falls back to the default devices when a remembered one is gone", async () => {
    const asked: MediaStreamConstraints[] = [];
    const stopped: string[] = [];
    const audioOnly = { getTracks: () => [{ stop: () => stopped.push("mic") }] } as unknown as MediaStream;
    const result = await acquireMedia(async (c) => {
      asked.push(c);
      const video = c.video as MediaTrackConstraints | false;
      if (video && video.deviceId) throw Object.assign(new Error("gone"), { name: "OverconstrainedError" });
      return c.video ? stream("default av") : audioOnly;
    }, { cameraId: "unplugged", micId: "" });
    expect(result).toEqual({ stream: stream("default av"), videoError: null, audioError: null });
    expect(stopped).toEqual(["mic"]);
    expect(asked.at(-1)).toEqual({ audio: {}, video: { width: { ideal: 640 }, height: { ideal: 480 } } });
  });

  it("reports both when nothing can be had, and never asks for video when the camera is off", async () => {
    const asked: MediaStreamConstraints[] = [];
    const none = await acquireMedia(async (c) => { asked.push(c); throw denied(); }, choice);
    expect(none.stream).toBeNull();
    expect(none.videoError).toBeTruthy();
    expect(none.audioError).toBeTruthy();

    asked.length = 0;
    await acquireMedia(async (c) => { asked.push(c); throw denied(); }, { cameraId: NO_CAMERA, micId: "" });
    expect(asked).toEqual([{ audio: {}, video: false }]);
  });
});

describe("messages and level", () => {
  it("explains each failure in Portuguese", () => {
    expect(mediaErrorMessage(denied(), "video")).toContain("Você não permitiu o acesso à câmera");
    expect(mediaErrorMessage(denied(), "audio")).toContain("acesso ao microfone");
    expect(mediaErrorMessage(notFound(), "video")).toBe("Nenhuma câmera encontrada neste aparelho.");
    expect(mediaErrorMessage(notFound(), "audio")).toBe("Nenhum microfone encontrado neste aparelho.");
    expect(mediaErrorMessage({ name: "NotReadableError" }, "video")).toContain("outro aplicativo");
    expect(mediaErrorMessage("weird", "audio")).toBe("Não foi possível acessar o microfone.");
    expect(mediaErrorMessage(null, "video")).toBe("Não foi possível acessar a câmera.");
  });

  it("shows the peak, holds it while it decays, and reads silence as zero", () => {
    const beep = micLevel([0, 0.8, -0.9, 0.1], 0);
    expect(beep).toBeCloseTo(0.9);
    expect(micLevel([0, 0], beep)).toBeCloseTo(0.81);
    expect(micLevel([0.001], 0.001)).toBe(0);
    expect(micLevel([3], 0)).toBe(1);
    expect(micLevel([], 0)).toBe(0);
  });
});
