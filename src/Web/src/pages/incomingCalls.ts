import type { App } from "../app";
import { ApiError } from "../api/http";
import { isCallOver, type Appointment, type CallRequested, type CallStatusChanged } from "../api/types";
import { h } from "../ui/dom";
import { formatTime } from "../ui/format";

/**
 * The doctor's incoming-call panel, on every page: a patient asking to enter appears at once
 * (whatever silo either of them is connected to) and disappears when the call is no longer ringing.
 */
/** The patients waiting for this doctor now, as the panel holds them: by appointment, with news of each change. */
export interface WaitingCalls {
  appointmentIds(): ReadonlySet<string>;
  onChange(listener: () => void): () => void;
}

/** Before the panel is installed (and for anyone but a doctor, whose panel stays empty): nobody waits. */
export const noWaitingCalls: WaitingCalls = { appointmentIds: () => new Set(), onChange: () => () => {} };

export function installIncomingCalls(app: App): WaitingCalls {
  const panel = h("aside", { class: "incoming-calls", "aria-live": "assertive", "aria-label": "Chamadas recebidas" });
  document.body.append(panel);
  // The panel covers the page's bottom right corner (all its width on a phone): the page keeps that much room at its
  // end (styles.css), or what lies there ("Voltar" after a call, the chat's field) could not be reached while a
  // patient waits.
  new ResizeObserver(() => {
    const space = panel.childElementCount === 0 ? 0 : Math.ceil(panel.getBoundingClientRect().height) + 24;
    document.documentElement.style.setProperty("--incoming-calls-space", `${space}px`);
  }).observe(panel);
  /** Each waiting patient's entry, its "Aceitar", and the line under it that says why an answer failed. */
  const items = new Map<string, { appointmentId: string; item: HTMLElement; accept: HTMLButtonElement; note: HTMLElement }>();
  const listeners = new Set<() => void>();

  // The panel comes last in the page, after every link of an agenda (91 Tab presses with 7 appointments): the top bar
  // says who waits and takes the keyboard to the first patient's "Aceitar".
  const jump = h("button", {
    type: "button", class: "link waiting-jump", "data-testid": "incoming-calls-jump", hidden: true,
    onclick: () => items.values().next().value?.accept.focus(),
  });
  document.querySelector(".topbar .brand")?.after(jump);
  const changed = () => {
    jump.hidden = items.size === 0;
    jump.textContent = items.size === 1 ? "1 paciente aguardando" : `${items.size} pacientes aguardando`;
    listeners.forEach((listener) => listener());
  };

  const remove = (roomId: string) => {
    const entry = items.get(roomId);
    if (!entry) return;
    entry.item.remove();
    items.delete(roomId);
    changed();
  };

  const show = (call: CallRequested) => {
    if (app.user?.role !== "doctor" || items.has(call.roomId)) return;
    const note = h("div", { class: "status", "data-testid": "incoming-call-note" });
    const act = async (action: "accept" | "reject") => {
      note.textContent = "";
      try {
        await app.http.post(`/api/v1/calls/${call.roomId}/${action}`);
        remove(call.roomId);
        if (action === "accept") app.go(`#/consulta/${call.roomId}`);
      } catch (e) {
        note.textContent = e instanceof ApiError ? e.message : "Não foi possível responder.";
      }
    };
    // Which of the day's consultations: the call says who and since when; the appointment says for what time.
    const when = h("span", { class: "muted", "data-testid": "incoming-call-when" }, `na sala desde ${formatTime(call.requestedAt)}`);
    app.http.get<Appointment>(`/api/v1/scheduling/appointments/${call.appointmentId}`)
      .then((a) => {
        when.textContent = `Consulta das ${formatTime(a.startsAt)} · na sala desde ${formatTime(call.requestedAt)}`;
      })
      .catch(() => {});
    const accept = h("button", { type: "button", class: "primary", "data-testid": "accept-call", onclick: () => void act("accept") }, "Aceitar");
    const item = h("div", { class: "incoming-call", "data-testid": "incoming-call", "data-room-id": call.roomId },
      h("strong", {}, `${call.from.fullName} está na sala de espera`),
      when,
      h("div", { class: "actions" },
        accept,
        h("button", { type: "button", class: "danger", "data-testid": "reject-call", onclick: () => void act("reject") }, "Recusar")),
      note);
    items.set(call.roomId, { appointmentId: call.appointmentId, item, accept, note });
    panel.append(item);
    changed();
  };

  app.hub.on<CallRequested>("CallRequested", show);

  // Patients who asked while this doctor was offline or on another device are still waiting:
  // the list comes from the doctor's presence grain, whichever silo answers.
  app.hub.onStatus((status) => {
    if (status !== "connected" || app.user?.role !== "doctor") return;
    app.http.get<CallRequested[]>("/api/v1/calls/waiting").then((waiting) => waiting.forEach(show)).catch(() => {});
  });

  app.hub.on<CallStatusChanged>("CallStatusChanged", (change) => {
    if (change.status !== "ringing") remove(change.roomId);
    // The doctor's own call is over: a refusal that said so ("Você está em outra consulta...") no longer holds.
    if (isCallOver(change.status)) {
      for (const { note } of items.values()) note.textContent = "";
    }
  });

  return {
    appointmentIds: () => new Set([...items.values()].map((entry) => entry.appointmentId)),
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
