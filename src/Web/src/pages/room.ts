import type { App } from "../app";
import { ApiError } from "../api/http";
import { sendWithRetry, withRetry } from "../call/retry";
import { QualityReports } from "../call/qualityReports";
import { RoomGate } from "../call/roomGate";
import { isCallOver, type Appointment, type CallState, type CallStatusChanged, type ChatMessage, type JoinRoomResult, type SignalMessage } from "../api/types";
import { CallSession } from "../call/callSession";
import { ChatHistory, type ChatLine } from "../call/chatHistory";
import { ScreenShare } from "../call/screenShare";
import { deviceCheck } from "./deviceCheck";
import { h, message, mount } from "../ui/dom";
import { formatDuration, formatTime, statusLabels } from "../ui/format";
import { chatWithin } from "../ui/text";

/** The hub's chat limit (Calls:MaxChatLength), in characters as a reader counts them. */
const maxChatCharacters = 2000;
/** Signals kept for a peer connection not made yet (the room replays at most 128 to a party). */
const earlySignalsKept = 128;

/**
 * The consultation room. Starts with the device check (preview, device choice, microphone level);
 * "Entrar na sala" keeps that media for the call. Waits while the call rings, joins once the
 * doctor accepted and the participant entered, and sets up the peer connection once both parties
 * are in; the camera can then be swapped for a screen share. Survives a lost signaling
 * connection: the hub reconnects (any silo), the room is re-joined and ICE restarted if media stopped.
 */
export async function renderRoom(app: App, _params: URLSearchParams, roomId: string): Promise<() => void> {
  const relayOnly = new URLSearchParams(location.search).get("relay") === "1";
  const me = app.user!;
  // A live region: "Em consulta", "O outro participante saiu..." are heard, not only seen.
  const statusLine = h("p", { class: "call-status", role: "status", "data-testid": "call-status", "data-status": "" });
  const localVideo = h("video", { autoplay: true, playsinline: true, muted: true, class: "local", "data-testid": "local-video" });
  const remoteVideo = h("video", { autoplay: true, playsinline: true, class: "remote", "data-testid": "remote-video" });
  const timer = h("span", { class: "timer", "data-testid": "call-timer" }, "00:00");
  const quality = h("span", { class: "quality", "data-testid": "call-quality", "data-level": "" }, "");
  const warning = h("p", { class: "warning", "data-testid": "duration-warning", hidden: true });
  const chatLog = h("ol", { class: "chat-log", "data-testid": "chat-log", "aria-live": "polite" });
  const chatHistory = new ChatHistory();
  // The other party's name once the appointment is read (the call view has ids only).
  let counterpartName = me.role === "patient" ? "Médico(a)" : "Paciente";
  const chatLine = (line: ChatLine): HTMLElement =>
    h("li", {}, h("span", { class: "muted" }, `${formatTime(line.at)} ${line.fromUserId === me.id ? "Você" : counterpartName}: `), line.text);
  // maxlength only bounds a paste: 8 bytes of UTF-8 per character are at most that many UTF-16 units.
  const chatInput = h("input", { name: "chat", maxlength: maxChatCharacters * 8, placeholder: "Mensagem", "data-testid": "chat-input", "aria-label": "Mensagem" });
  // Counted as the hub counts (characters a reader sees), not in UTF-16 units as maxlength would.
  chatInput.addEventListener("input", () =>
    chatInput.setCustomValidity(chatWithin(chatInput.value.trim(), maxChatCharacters) ? "" : `A mensagem deve ter até ${maxChatCharacters} caracteres.`));
  const notes = h("div", { class: "status" });
  const presence = h("p", { class: "muted presence", "data-testid": "counterpart-presence", "data-presence": "" });
  const showPresence = (online: boolean, busy: boolean) => {
    const state = !online ? "away" : busy ? "busy" : "online";
    presence.dataset["presence"] = state;
    const who = me.role === "patient" ? "O(a) médico(a)" : "O(a) paciente";
    presence.textContent = `${who} está ${state === "away" ? "ausente no momento" : state === "busy" ? "em outra consulta" : "online"}.`;
  };
  const check = deviceCheck();
  const cleanups: (() => void)[] = [];
  let session: CallSession | null = null;
  let share: ScreenShare | null = null;
  let local: MediaStream | null = null;
  let counterpart = "";
  let entered = false;
  let accepted = false;
  let joining = false;
  let joined = false;
  const gate = new RoomGate();
  let attached = false;
  let peerJoined = false;
  // Signals that come before this page has its peer connection: the other party offers as soon as it hears this page
  // joined, which can be before the answer to this page's own JoinRoom. Handed to the session when it is made.
  let early: SignalMessage[] = [];
  let startedAt: number | null = null;
  let ended = false;
  // The page was left (its cleanup ran): a join or a device check finishing after that must not start a call.
  let disposed = false;
  let maxDurationSeconds = 0;
  let secondsWithoutMedia = 0;
  let lastFrames = -1;
  const reports = new QualityReports<object>((report) => app.http.post(`/api/v1/calls/${roomId}/quality`, report));

  /** Media quality from getStats(): the indicator, and the report stored with the call. */
  const measure = async (send: boolean) => {
    if (!session || !startedAt) return;
    const stats = await session.stats();
    if (ended && !send) return;
    if (stats.connectionState === "connected" && stats.framesDecoded === lastFrames) secondsWithoutMedia += 5;
    lastFrames = stats.framesDecoded;
    const total = stats.packetsLost + stats.packetsReceived;
    const loss = total > 0 ? (100 * stats.packetsLost) / total : 0;
    const rtt = stats.roundTripTimeMs ?? 0;
    const level = stats.connectionState !== "connected" ? "ruim" : rtt > 400 || loss > 5 ? "ruim" : rtt > 150 || loss > 1 ? "regular" : "boa";
    if (!ended) {
      // Once the call is over the closed connection would read as "ruim".
      quality.dataset["level"] = level;
      quality.textContent = `Conexão: ${level}${stats.localCandidateType === "relay" ? " (via servidor)" : ""}`;
    }
    await reports.offer({
      roundTripTimeMs: stats.roundTripTimeMs,
      jitterMs: stats.jitterMs,
      packetLossPercent: Math.min(100, Math.round(loss * 100) / 100),
      relay: stats.localCandidateType === "relay" || stats.remoteCandidateType === "relay",
      iceRestarts: stats.iceRestarts,
      secondsWithoutMedia,
    }, send);
  };

  const setStatus = (status: string, text?: string) => {
    statusLine.dataset["status"] = status;
    // The same words again are not news (a screen reader would read them again).
    const words = text ?? statusLabels[status] ?? status;
    if (statusLine.textContent !== words) statusLine.textContent = words;
  };

  const toggle = (kind: "audio" | "video", button: HTMLButtonElement) => {
    const tracks = kind === "audio" ? local?.getAudioTracks() : local?.getVideoTracks();
    tracks?.forEach((t) => (t.enabled = !t.enabled));
    const off = tracks?.some((t) => !t.enabled) ?? false;
    button.setAttribute("aria-pressed", String(off));
    button.textContent = kind === "audio" ? (off ? "Ativar microfone" : "Silenciar") : off ? "Ligar câmera" : "Desligar câmera";
  };
  const muteButton = h("button", { type: "button", "data-testid": "toggle-mic", "aria-pressed": "false" }, "Silenciar");
  const cameraButton = h("button", { type: "button", "data-testid": "toggle-camera", "aria-pressed": "false" }, "Desligar câmera");
  muteButton.addEventListener("click", () => toggle("audio", muteButton));
  cameraButton.addEventListener("click", () => toggle("video", cameraButton));

  const shareButton = h("button", { type: "button", "data-testid": "share-screen", "aria-pressed": "false", disabled: true, hidden: !ScreenShare.supported(navigator.mediaDevices) }, "Compartilhar tela");
  // "Encerrar" ends an accepted call; while it rings the patient has "Desistir" instead (ending a ringing call is refused).
  const endButton = h("button", { type: "button", class: "danger", "data-testid": "end-call", hidden: true, onclick: () => void endCall() }, "Encerrar");
  const chatSend = h("button", { type: "submit", "data-testid": "chat-send" }, "Enviar");
  const cancelButton = h("button", { type: "button", "data-testid": "cancel-call", onclick: () => void app.http.post(`/api/v1/calls/${roomId}/cancel`).catch(showError) }, "Desistir");
  /** Accepted: the patient can no longer give up the call from the lobby (a 409, or cancelling a call the doctor took); they end it. */
  const showAccepted = () => {
    cancelButton.remove();
    endButton.hidden = false;
  };
  const shareStatus = h("p", { class: "share-status", role: "status", "data-testid": "share-status", "data-state": "" });
  const videos = h("div", { class: "videos" }, remoteVideo, localVideo, shareStatus);
  const showShare = (state: "on" | "off" | "cancelled" | "error", text = "") => {
    shareStatus.dataset["state"] = state;
    shareStatus.textContent = text;
    shareButton.setAttribute("aria-pressed", String(state === "on"));
    shareButton.textContent = state === "on" ? "Parar compartilhamento" : "Compartilhar tela";
  };
  shareButton.addEventListener("click", () => {
    if (!share) return;
    // Busy while the browser's picker is open or the tracks are swapped (assistive tech hears it).
    shareButton.setAttribute("aria-busy", "true");
    if (share.sharing) return void share.stop().finally(() => shareButton.removeAttribute("aria-busy"));
    void share.start().then((result) => {
      shareButton.removeAttribute("aria-busy");
      if (!result.ok) showShare(result.cancelled ? "cancelled" : "error", result.message);
    });
  });

  const finish = (text: string) => {
    if (ended) return;
    void measure(true).catch(() => {});
    ended = true;
    releaseMedia();
    // Nothing in the call area works any more: its controls say so instead of failing when pressed.
    for (const control of [muteButton, cameraButton, shareButton, endButton, chatInput, chatSend]) control.disabled = true;
    quality.textContent = "";
    // The videos are black from here; what is left to see is the summary, brought into view and focused (the
    // controls under the pointer went dead and the focus fell to the page), then "Voltar".
    videos.hidden = true;
    const summary = message("info", text, "call-summary");
    summary.tabIndex = -1;
    notes.replaceChildren(summary, h("a", { href: app.home(), class: "button", "data-testid": "room-home" }, "Voltar"));
    summary.scrollIntoView({ block: "center" });
    summary.focus({ preventScroll: true });
  };

  /** The call ended: the duration the server recorded (the appointment's) is the one shown, on the timer and the summary. */
  const showRecordedDuration = async () => {
    const local = startedAt ? (Date.now() - startedAt) / 1000 : null;
    if (local !== null) timer.textContent = formatDuration(local);
    finish(`Consulta encerrada.${local !== null ? ` Duração: ${formatDuration(local)}.` : ""}`);
    try {
      const call = await app.http.get<CallState>(`/api/v1/calls/${roomId}`);
      if (call.durationSeconds === null || call.durationSeconds === undefined) return;
      timer.textContent = formatDuration(call.durationSeconds);
      notes.querySelector("[data-testid='call-summary']")!.textContent = `Consulta encerrada. Duração: ${formatDuration(call.durationSeconds)}.`;
    } catch {
      // The local figure stays.
    }
  };

  /** "Em consulta" whenever the media is up and the other party is in the room (again). */
  const showInCallIfConnected = () => {
    if (!ended && session?.connectionState() === "connected") setStatus("accepted", "Em consulta");
  };

  const endCall = async () => {
    try {
      await measure(true).catch(() => {});
      await app.http.post<CallState>(`/api/v1/calls/${roomId}/end`, { reason: "hangup" });
    } catch (e) {
      notes.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível encerrar."));
    }
  };

  /** Sends the media chosen in the device check (none at all is allowed: the participant still sees, hears and chats). */
  const startMedia = () => {
    if (!session || attached || !entered) return;
    attached = true;
    const call = session;
    call.attachLocalStream(local ?? new MediaStream());
    share = new ScreenShare({
      mediaDevices: navigator.mediaDevices,
      sender: call,
      camera: () => local?.getVideoTracks()[0] ?? null,
      onChange: (screen) => {
        localVideo.srcObject = screen ? new MediaStream([screen]) : local;
        localVideo.classList.toggle("screen", screen !== null);
        showShare(screen ? "on" : "off", screen ? "Você está compartilhando sua tela." : "");
      },
    });
    shareButton.disabled = false;
  };

  /** The call needs both: the participant entered (device check done) and the doctor accepted. */
  const joinWhenReady = () => {
    if (!entered || !accepted || joining || joined || ended || disposed) return;
    joining = true;
    void join().catch(showError).finally(() => (joining = false));
  };

  const join = async () => {
    // Back after a lost connection: the room replays the signals numbered after the last one handled.
    // Retried while the room moves to another silo after a crash.
    const current = session;
    const snapshot = await withRetry(() => disposed
      ? Promise.reject(new Error("A sala foi fechada."))
      : current
        ? app.hub.invoke<JoinRoomResult>("ResumeRoom", roomId, current.lastSeq)
        : app.hub.invoke<JoinRoomResult>("JoinRoom", roomId));
    if (disposed) {
      // Left while the answer was on its way: the room counts this connection in; take it out, and start nothing.
      void app.hub.invoke("LeaveRoom", roomId).catch(() => {});
      return;
    }

    joined = true;
    chatHistory.merge(snapshot.chat ?? []);
    chatLog.replaceChildren(...chatHistory.lines.map(chatLine));
    counterpart = snapshot.participants.find((p) => p.userId !== me.id)?.userId ?? "";
    gate.enter();
    if (!session) {
      session = new CallSession({
        polite: snapshot.self?.polite ?? me.role === "patient",
        iceServers: snapshot.iceServers,
        relayOnly,
        // Held while this tab's connection is not in the room (reconnecting, resuming): refused there, a signal would be lost.
        signaling: { send: (kind, payload) => gate.send(() => sendWithRetry(() => app.hub.invoke("Signal", roomId, counterpart, kind, payload)), () => app.hub.connectionState === "Connected") },
        onRemoteStream: (stream) => (remoteVideo.srcObject = stream),
        onError: (e) => console.warn("call session:", e instanceof Error ? e.message : e),
        onStateChange: (state) => {
          if (state === "connected") {
            startedAt ??= Date.now();
            setStatus("accepted", "Em consulta");
          } else if (state === "disconnected" || state === "failed") {
            setStatus("accepted", "Conexão de mídia instável — reconectando...");
          }
        },
      });
      window.telemedicina.session = session;
      for (const signal of early.sort((a, b) => a.seq - b.seq)) void session.handleSignal(signal);
      early = [];
    } else {
      session.recoverAfterReconnect();
    }

    const other = snapshot.participants.find((p) => p.userId === counterpart);
    setStatus("accepted", other?.joined ? "Conectando..." : "Aguardando o outro participante entrar...");
    if (other?.joined || peerJoined) startMedia();
    // Back after a lost connection while the media went on: no state change will come to say so.
    if (other?.joined) showInCallIfConnected();
  };

  cleanups.push(app.hub.on<SignalMessage>("Signal", (signal) => {
    if (signal.roomId !== roomId) return;
    if (session) void session.handleSignal(signal);
    // Bounded as the room bounds what it replays; an offer and its candidates are a few dozen.
    else if (!disposed && early.length < earlySignalsKept) early.push(signal);
  }));
  cleanups.push(app.hub.on<{ roomId: string; userId: string }>("PeerJoined", (peer) => {
    if (peer.roomId !== roomId || peer.userId === me.id) return;
    // May arrive before our own JoinRoom answer (the session does not exist yet): join() checks it.
    peerJoined = true;
    startMedia();
    showInCallIfConnected();
  }));
  cleanups.push(app.hub.on<{ roomId: string; userId: string; reason: string }>("PeerLeft", (peer) => {
    if (peer.roomId === roomId) setStatus("accepted", "O outro participante saiu ou perdeu a conexão. Aguardando...");
  }));
  cleanups.push(app.hub.on<ChatMessage>("Chat", (chat) => {
    if (chat.roomId === roomId && chatHistory.add(chat) === "appended") appendChat(chatLine(chat));
  }));
  cleanups.push(app.hub.on<CallStatusChanged>("CallStatusChanged", (change) => {
    if (change.roomId !== roomId) return;
    setStatus(change.status);
    if (change.status === "accepted") {
      accepted = true;
      showAccepted();
      joinWhenReady();
    }
    if (change.status === "ended") void showRecordedDuration();
    else if (isCallOver(change.status)) finish(`Chamada ${statusLabels[change.status]?.toLowerCase()}.`);
  }));
  cleanups.push(app.hub.onStatus((status) => {
    if (status !== "connected") gate.close();
  }));
  cleanups.push(app.hub.onReconnected(() => {
    // What failed while the connection was down ("A conexão caiu...") is over once it is back.
    clearError();
    if (joined && !ended) void join().catch(showError);
  }));
  const tick = setInterval(() => {
    if (!startedAt || ended) return;
    const elapsed = (Date.now() - startedAt) / 1000;
    timer.textContent = formatDuration(elapsed);
    const left = maxDurationSeconds - elapsed;
    if (maxDurationSeconds > 0 && left <= 300) {
      warning.hidden = false;
      warning.textContent = `A consulta será encerrada automaticamente em ${formatDuration(Math.max(0, left))} (duração máxima).`;
    }
  }, 1000);
  const qualityTick = setInterval(() => void measure(false).catch(() => {}), 5000);
  cleanups.push(() => clearInterval(tick), () => clearInterval(qualityTick));

  const chatForm = h("form", { class: "chat" }, chatLog, chatInput, chatSend);
  chatForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = chatInput.value.trim();
    if (!text) return;
    void app.hub.invoke("Chat", roomId, text).then(() => {
      const line = { at: new Date().toISOString(), fromUserId: me.id, text };
      chatHistory.addLocal(line);
      appendChat(chatLine(line));
      chatInput.value = "";
    }).catch(showError);
  });

  // The newest line in view (the log scrolls past 180 px), and on a phone with its keyboard open the field being typed
  // in too: the log grew above it and pushed it off the screen after each message.
  function appendChat(line: HTMLElement): void {
    chatLog.append(line);
    chatLog.scrollTop = chatLog.scrollHeight;
    if (document.activeElement === chatInput) chatInput.scrollIntoView({ block: "nearest" });
  }

  let shownError: HTMLElement | null = null;
  function showError(e: unknown): void {
    shownError = message("error", e instanceof Error ? e.message : "Erro inesperado.");
    notes.replaceChildren(shownError);
  }

  function clearError(): void {
    shownError?.remove();
    shownError = null;
  }

  const callArea = h("div", { class: "call-area", hidden: true },
    videos,
    warning,
    h("div", { class: "controls" }, timer, quality, muteButton, cameraButton, shareButton, endButton),
    chatForm);
  mount("consulta", h("div", { class: "room" }, statusLine, presence, check.element, callArea, notes));

  void check.entered.then((stream) => {
    if (ended || disposed) {
      stream?.getTracks().forEach((t) => t.stop());
      return;
    }

    local = stream;
    entered = true;
    localVideo.srcObject = local;
    muteButton.disabled = !local?.getAudioTracks().length;
    cameraButton.disabled = !local?.getVideoTracks().length;
    check.element.remove();
    callArea.hidden = false;
    joinWhenReady();
  });

  setStatus("", "Carregando...");
  try {
    await app.hub.start();
    const call = await app.http.get<CallState>(`/api/v1/calls/${roomId}`);
    maxDurationSeconds = call.maxDurationSeconds ?? 0;
    const other = call.participants.find((p) => p.userId !== me.id);
    if (other) {
      showPresence(other.online, other.busy ?? false);
      cleanups.push(app.hub.on<{ userId: string; online: boolean }>("PresenceChanged", (change) => {
        if (change.userId === other.userId) showPresence(change.online, false);
      }));
    }
    setStatus(call.status, call.status === "ringing" ? (me.role === "patient" ? "Aguardando o médico aceitar..." : "Chamando...") : undefined);
    if (call.status === "accepted") {
      accepted = true;
      showAccepted();
      joinWhenReady();
    } else if (call.status !== "ringing") finish(`Chamada ${statusLabels[call.status]?.toLowerCase() ?? call.status}.`);
    if (call.status === "ringing" && me.role === "patient") notes.replaceChildren(cancelButton);
    void app.http.get<Appointment>(`/api/v1/scheduling/appointments/${call.appointmentId}`).then((appointment) => {
      const name = me.role === "patient" ? appointment.doctorName : appointment.patientName;
      if (!name) return;
      counterpartName = name;
      chatLog.replaceChildren(...chatHistory.lines.map(chatLine));
    }).catch(() => {});
  } catch (e) {
    releaseMedia();
    // Nothing is loading any more (releaseMedia took the device check away): the status says so, with a way back.
    setStatus("error", "Não foi possível abrir a sala.");
    notes.replaceChildren(
      message("error", e instanceof ApiError && e.status === 404 ? "Sala não encontrada." : e instanceof Error ? e.message : "Erro ao entrar na sala."),
      h("a", { href: app.home(), "data-testid": "room-back" }, "Voltar às consultas"));
  }

  return () => {
    disposed = true;
    cleanups.forEach((c) => c());
    if (joined && !ended) void app.hub.invoke("LeaveRoom", roomId).catch(() => {});
    releaseMedia();
  };

  function releaseMedia(): void {
    check.dispose();
    check.element.remove();
    void share?.stop();
    session?.close();
    local?.getTracks().forEach((t) => t.stop());
    delete window.telemedicina.session;
  }
}
