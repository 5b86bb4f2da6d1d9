import { acquireMedia, deviceOptions, loadDeviceChoice, mediaErrorMessage, micLevel, NO_CAMERA, saveDeviceChoice, selectedDevice, type DeviceChoice } from "../call/devices";
import { field, h, message } from "../ui/dom";

export interface DeviceCheck {
  element: HTMLElement;
  /** Resolves with the media to join with (null: neither camera nor microphone) when "Entrar na sala" is pressed. */
  entered: Promise<MediaStream | null>;
  /** Stops the preview and the meter; the media is stopped too unless it was handed over by "Entrar na sala". */
  dispose(): void;
}

/**
 * "Verifique sua câmera e microfone": a preview, the device selectors, a live microphone level,
 * and plain-language errors, before the participant enters the room. The stream shown here is
 * the one the call sends, so the browser asks for permission once.
 */
export function deviceCheck(): DeviceCheck {
  const storage = safeLocalStorage();
  const media = navigator.mediaDevices as MediaDevices | undefined;
  const preview = h("video", { autoplay: true, playsinline: true, muted: true, class: "preview", "data-testid": "device-preview", "aria-label": "Prévia da sua câmera" });
  const cameraSelect = h("select", { name: "camera", "data-testid": "camera-select" });
  const micSelect = h("select", { name: "microphone", "data-testid": "mic-select" });
  const meter = h("meter", { min: 0, max: 1, value: 0, class: "mic-level", "data-testid": "mic-level", "data-level": "0" });
  const problems = h("div", { class: "device-problems", "aria-live": "polite", "data-testid": "device-problems" });
  const meterField = h("label", { class: "field" }, h("span", { class: "field-label" }, "Nível do microfone"), meter, h("small", {}, "Fale algo: a barra deve se mexer."));
  const joinButton = h("button", { type: "button", class: "primary", "data-testid": "join-room", disabled: true }, "Entrar na sala");
  const element = h("section", { class: "card device-check", "data-testid": "device-check", "aria-labelledby": "device-check-title" },
    h("h2", { id: "device-check-title" }, "Verifique sua câmera e microfone"),
    h("div", { class: "device-check-body" },
      preview,
      h("div", { class: "device-check-controls" },
        field("Câmera", cameraSelect),
        field("Microfone", micSelect),
        meterField,
        problems,
        joinButton)));

  let stream: MediaStream | null = null;
  let handedOver = false;
  let disposed = false;
  let opening = 0;
  let meterState: { context: AudioContext; analyser: AnalyserNode; source: MediaStreamAudioSourceNode | null; samples: Float32Array<ArrayBuffer>; frame: number } | null = null;
  let resolveEntered!: (stream: MediaStream | null) => void;
  const entered = new Promise<MediaStream | null>((resolve) => (resolveEntered = resolve));

  const stopStream = () => stream?.getTracks().forEach((t) => t.stop());

  const fill = (select: HTMLSelectElement, options: { id: string; label: string }[], selected: string) => {
    select.replaceChildren(...options.map((o) => h("option", { value: o.id, selected: o.id === selected }, o.label)));
    select.value = selected;
  };

  const refreshSelectors = async () => {
    const devices = await media?.enumerateDevices().catch(() => []) ?? [];
    const preferred = loadDeviceChoice(storage);
    const cameras = deviceOptions(devices, "videoinput");
    const camera = stream?.getVideoTracks()[0];
    fill(cameraSelect, [...cameras, { id: NO_CAMERA, label: "Sem câmera (só áudio)" }],
      camera ? selectedDevice(cameras, camera.getSettings().deviceId, preferred.cameraId) : NO_CAMERA);
    const mics = deviceOptions(devices, "audioinput");
    fill(micSelect, mics, selectedDevice(mics, stream?.getAudioTracks()[0]?.getSettings().deviceId, preferred.micId));
    micSelect.disabled = mics.length === 0;
  };

  // The live level: an analyser on the microphone, read every frame while the check is shown.
  const showLevel = () => {
    if (!meterState) return;
    const { analyser, source, samples } = meterState;
    if (source) {
      analyser.getFloatTimeDomainData(samples);
      meter.value = micLevel(samples, meter.value);
      meter.dataset["level"] = meter.value.toFixed(2);
    }
    meterState.frame = requestAnimationFrame(showLevel);
  };

  const listen = (to: MediaStream | null) => {
    if (!meterState) {
      try {
        const context = new AudioContext();
        const analyser = context.createAnalyser();
        analyser.fftSize = 2048;
        meterState = { context, analyser, source: null, samples: new Float32Array(analyser.fftSize), frame: requestAnimationFrame(showLevel) };
      } catch {
        meterField.hidden = true; // no Web Audio: the check works without the meter
        return;
      }
    }

    meterState.source?.disconnect();
    meterState.source = to?.getAudioTracks().length ? meterState.context.createMediaStreamSource(to) : null;
    meterState.source?.connect(meterState.analyser);
    meter.value = 0;
    meter.dataset["level"] = "0";
  };

  const stopListening = () => {
    if (!meterState) return;
    cancelAnimationFrame(meterState.frame);
    meterState.source?.disconnect();
    void meterState.context.close().catch(() => {});
    meterState = null;
  };

  const open = async (choice: DeviceChoice) => {
    const attempt = ++opening;
    joinButton.disabled = true;
    stopStream();
    if (!media?.getUserMedia) {
      stream = null;
      problems.replaceChildren(message("error", "Este navegador não dá acesso à câmera e ao microfone nesta página. Use um navegador atualizado (Chrome, Firefox, Safari ou Edge)."));
      joinButton.disabled = false;
      return;
    }

    const acquired = await acquireMedia((c) => media.getUserMedia(c), choice);
    if (attempt !== opening || disposed) {
      // A newer choice (or leaving the page) overtook this one.
      acquired.stream?.getTracks().forEach((t) => t.stop());
      return;
    }

    stream = acquired.stream;
    preview.srcObject = stream;
    preview.hidden = !stream?.getVideoTracks().length;
    listen(stream);
    await refreshSelectors();
    problems.replaceChildren(...describeProblems(acquired.videoError, acquired.audioError, choice.cameraId === NO_CAMERA));
    joinButton.disabled = false;
  };

  const choose = () => void open({ cameraId: cameraSelect.value, micId: micSelect.value });
  cameraSelect.addEventListener("change", choose);
  micSelect.addEventListener("change", choose);
  const onDeviceChange = () => void refreshSelectors();
  media?.addEventListener?.("devicechange", onDeviceChange);
  // Browsers may keep the AudioContext suspended until the page is touched.
  element.addEventListener("pointerdown", () => void meterState?.context.resume().catch(() => {}));
  joinButton.addEventListener("click", () => {
    handedOver = true;
    // Devices not in use now (joined without a camera, say) keep their remembered choice.
    const remembered = loadDeviceChoice(storage);
    saveDeviceChoice(storage, {
      cameraId: stream?.getVideoTracks()[0]?.getSettings().deviceId ?? remembered.cameraId,
      micId: stream?.getAudioTracks()[0]?.getSettings().deviceId ?? remembered.micId,
    });
    dispose();
    resolveEntered(stream);
  });

  function dispose(): void {
    if (disposed) return;
    disposed = true;
    media?.removeEventListener?.("devicechange", onDeviceChange);
    stopListening();
    preview.srcObject = null;
    if (!handedOver) stopStream();
  }

  void open(loadDeviceChoice(storage));
  return { element, entered, dispose };
}

function describeProblems(videoError: unknown, audioError: unknown, noCameraChosen: boolean): HTMLElement[] {
  const lines: HTMLElement[] = [];
  if (videoError) lines.push(message("error", mediaErrorMessage(videoError, "video"), "camera-error"));
  if (audioError) lines.push(message("error", mediaErrorMessage(audioError, "audio"), "mic-error"));
  if (videoError && !audioError) lines.push(message("info", "Você pode entrar só com áudio."));
  else if (audioError && (videoError || noCameraChosen)) lines.push(message("info", "Você pode entrar mesmo assim: verá e ouvirá o outro participante e poderá usar o chat."));
  else if (audioError) lines.push(message("info", "Você pode entrar sem microfone e usar o chat."));
  return lines;
}

function safeLocalStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined; // storage disabled by the browser's privacy settings
  }
}
