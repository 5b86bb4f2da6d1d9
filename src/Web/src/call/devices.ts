/** Camera and microphone the participant chose in the device check; empty means "the browser's default". */
export interface DeviceChoice {
  cameraId: string;
  micId: string;
}

/** What the device check offers in its selectors. */
export interface DeviceOption {
  id: string;
  label: string;
}

/** The result of asking for camera and microphone: whatever could be had, and why the rest could not. */
export interface AcquiredMedia {
  stream: MediaStream | null;
  videoError: unknown;
  audioError: unknown;
}

/** Selector value of "join without camera". */
export const NO_CAMERA = "none";

const STORAGE_KEY = "telemedicina.devices";

/** The devices remembered from the last visit; anything unreadable counts as no preference. */
export function loadDeviceChoice(storage: Pick<Storage, "getItem"> | undefined): DeviceChoice {
  try {
    const raw: unknown = JSON.parse(storage?.getItem(STORAGE_KEY) ?? "null");
    const value = (raw ?? {}) as Record<string, unknown>;
    return { cameraId: deviceId(value["cameraId"]), micId: deviceId(value["micId"]) };
  } catch {
    return { cameraId: "", micId: "" };
  }
}

/** Remembers the devices for the next visit (private browsing or a full quota is not an error). */
export function saveDeviceChoice(storage: Pick<Storage, "setItem"> | undefined, choice: DeviceChoice): void {
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify({ cameraId: deviceId(choice.cameraId), micId: deviceId(choice.micId) }));
  } catch {
    // Remembering is a convenience.
  }
}

function deviceId(value: unknown): string {
  return typeof value === "string" && value.length <= 512 && value !== NO_CAMERA ? value : "";
}

/** The selector entries of one kind; devices without a label (no permission yet) get a numbered name. */
export function deviceOptions(devices: readonly Pick<MediaDeviceInfo, "deviceId" | "kind" | "label">[], kind: MediaDeviceKind): DeviceOption[] {
  const noun = kind === "videoinput" ? "Câmera" : "Microfone";
  const seen = new Set<string>();
  return devices
    .filter((d) => d.kind === kind && d.deviceId && !seen.has(d.deviceId) && seen.add(d.deviceId))
    .map((d, i) => ({ id: d.deviceId, label: d.label || `${noun} ${i + 1}` }));
}

/** The entry to select: the device in use, else the remembered one if still there, else the first. */
export function selectedDevice(options: readonly DeviceOption[], inUse: string | undefined, preferred: string): string {
  const has = (id: string | undefined) => !!id && options.some((o) => o.id === id);
  if (has(inUse)) return inUse!;
  if (has(preferred)) return preferred;
  return options[0]?.id ?? "";
}

/**
 * getUserMedia constraints for one kind. The device is "exact": Chromium ignores an "ideal"
 * microphone and opens the default one (acquireMedia falls back when the device is gone).
 */
export function constraintsFor(choice: DeviceChoice, kind: "audio" | "video"): MediaTrackConstraints | false {
  if (kind === "audio") return choice.micId ? { deviceId: { exact: choice.micId } } : {};
  if (choice.cameraId === NO_CAMERA) return false;
  // 640x480 is plenty for a consultation and kind to a patient's mobile data.
  const size = { width: { ideal: 640 }, height: { ideal: 480 } };
  return choice.cameraId ? { ...size, deviceId: { exact: choice.cameraId } } : size;
}

/**
 * Asks for camera and microphone together, then for each alone, so that a missing or refused
 * camera still lets the participant in with audio (and the other way round). One prompt at most
 * in practice: the browser remembers the answer for the page. A chosen device that is gone
 * (unplugged, remembered from another visit) gives way to the default one.
 */
export async function acquireMedia(getUserMedia: (c: MediaStreamConstraints) => Promise<MediaStream>, choice: DeviceChoice): Promise<AcquiredMedia> {
  const acquired = await acquireEach(getUserMedia, choice);
  const specific = choice.micId !== "" || (choice.cameraId !== "" && choice.cameraId !== NO_CAMERA);
  if (!specific || ![acquired.videoError, acquired.audioError].some((e) => ["OverconstrainedError", "NotFoundError"].includes(errorName(e)))) return acquired;
  acquired.stream?.getTracks().forEach((t) => t.stop());
  return acquireEach(getUserMedia, { cameraId: choice.cameraId === NO_CAMERA ? NO_CAMERA : "", micId: "" });
}

async function acquireEach(getUserMedia: (c: MediaStreamConstraints) => Promise<MediaStream>, choice: DeviceChoice): Promise<AcquiredMedia> {
  const audio = constraintsFor(choice, "audio");
  const video = constraintsFor(choice, "video");
  let audioError: unknown = null;
  let videoError: unknown = null;
  if (video !== false) {
    try {
      return { stream: await getUserMedia({ audio, video }), videoError, audioError };
    } catch (e) {
      videoError = e;
    }
  }

  try {
    return { stream: await getUserMedia({ audio, video: false }), videoError, audioError };
  } catch (e) {
    audioError = e;
  }

  if (video !== false) {
    try {
      // The camera works on its own: the microphone was the problem.
      return { stream: await getUserMedia({ audio: false, video }), videoError: null, audioError };
    } catch (e) {
      videoError = e;
    }
  }

  return { stream: null, videoError, audioError };
}

/** A pt-BR explanation of why a camera or microphone is unavailable, with what to do about it. */
export function mediaErrorMessage(error: unknown, kind: "audio" | "video"): string {
  const device = kind === "video" ? "a câmera" : "o microfone";
  const toDevice = kind === "video" ? "à câmera" : "ao microfone";
  switch (errorName(error)) {
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      return `Você não permitiu o acesso ${toDevice}. Libere o acesso nas permissões do navegador (ícone ao lado do endereço) e recarregue a página.`;
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return `Nenhum${kind === "video" ? "a câmera encontrada" : " microfone encontrado"} neste aparelho.`;
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return `Não foi possível usar ${device}: talvez outro aplicativo esteja usando. Feche-o e tente de novo.`;
    default:
      return `Não foi possível acessar ${device}.`;
  }
}

/** Loudness 0..1 of one block of samples (peak), held so that short sounds stay visible. */
export function micLevel(samples: ArrayLike<number>, previous: number, decay = 0.9): number {
  let peak = 0;
  for (let i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i]!));
  const held = Math.max(Math.min(1, peak), previous * decay);
  return held < 0.005 ? 0 : held;
}

function errorName(error: unknown): string {
  return typeof error === "object" && error !== null && "name" in error ? String((error as { name: unknown }).name) : "";
}
