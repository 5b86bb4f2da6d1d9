import type { App } from "../app";
import { ApiError } from "../api/http";
import type { Appointment, CallState } from "../api/types";
import { h, message } from "../ui/dom";
import { formatDateTime, formatTime, localizeInstants, statusLabels } from "../ui/format";
import { rowClock } from "../ui/appointmentOrder";

export interface AppointmentWithWindow extends Appointment {
  joinOpensAt: string;
  joinClosesAt: string;
  /** Until when the patient may cancel or reschedule (absent from an older server). */
  patientChangesUntil?: string;
  cancelReason?: string | null;
}

/** One appointment row with the actions its viewer may take. */
export function appointmentItem(
  app: App, a: AppointmentWithWindow, role: "patient" | "doctor", onChanged: () => void, onReschedule?: (a: AppointmentWithWindow) => void,
  waiting = false,
): HTMLElement {
  const other = role === "patient" ? a.doctorName : a.patientName;
  const status = h("div", { class: "status" });
  const actions = h("div", { class: "actions" });
  const live = a.status === "scheduled" || a.status === "inProgress";
  // What of the row follows the clock, from the same rule that tells a refresh whether to redraw the list.
  const { beforeRoom, roomAhead, patientMayChange } = rowClock(a, Date.now());
  if (role === "patient" && live) {
    if (beforeRoom) {
      actions.append(h("span", { class: "room-opens", "data-testid": "room-opens" }, `A sala abre às ${formatTime(a.joinOpensAt)}`));
    }

    if (roomAhead) {
      actions.append(h("button", { type: "button", class: "primary", "data-testid": "enter-call", onclick: () => void enterCall(app, a, status) }, "Entrar na consulta"));
    }
  }

  // Past the patient's deadline the buttons would only end in a refusal: the patient is told whom to ask instead.
  if (a.status === "scheduled" && role === "patient" && !patientMayChange) {
    actions.append(h("span", { class: "muted", "data-testid": "changes-closed" }, "Cancelamento e remarcação só até " +
      `${formatTime(a.patientChangesUntil!)}; agora, fale com o médico.`));
  } else if (a.status === "scheduled") {
    if (role === "patient" && onReschedule) {
      actions.append(h("button", { type: "button", "data-testid": "reschedule", onclick: () => onReschedule(a) }, "Remarcar"));
    }

    actions.append(h("button", { type: "button", class: "danger", "data-testid": "cancel-appointment", onclick: () => void cancel(app, a, role, status, onChanged) }, "Cancelar"));
  }

  return h("li", { class: `appointment status-${a.status}`, "data-testid": "appointment-item", "data-appointment-id": a.appointmentId, "data-status": a.status },
    h("div", { class: "when" }, formatDateTime(a.startsAt)),
    h("div", { class: "who" }, other ?? ""),
    h("div", { class: "badge" }, statusLabels[a.status] ?? a.status),
    // The doctor's agenda: the patient has asked to enter and waits (the incoming-call panel has "Aceitar").
    waiting ? h("div", { class: "waiting-mark", "data-testid": "agenda-waiting" }, "Na sala de espera") : null,
    a.reason ? h("div", { class: "muted" }, a.reason) : null,
    a.status === "cancelled" && a.cancelReason ? h("div", { class: "muted", "data-testid": "cancel-reason" }, `Motivo do cancelamento: ${localizeInstants(a.cancelReason)}`) : null,
    actions,
    status);
}

async function enterCall(app: App, a: Appointment, status: HTMLElement): Promise<void> {
  try {
    const call = await app.http.post<CallState>("/api/v1/calls", { appointmentId: a.appointmentId });
    app.go(`#/consulta/${call.roomId}`);
  } catch (e) {
    if (e instanceof ApiError && typeof e.problem["opensAt"] === "string") {
      status.replaceChildren(message("info", `A sala abre às ${formatTime(e.problem["opensAt"] as string)}.`));
    } else {
      status.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível entrar agora."));
    }
  }
}

async function cancel(app: App, a: Appointment, role: string, status: HTMLElement, onChanged: () => void): Promise<void> {
  const reason = window.prompt(role === "doctor" ? "Motivo do cancelamento (o paciente será avisado):" : "Motivo do cancelamento (opcional):", "");
  if (reason === null) return;
  try {
    await app.http.post(`/api/v1/scheduling/appointments/${a.appointmentId}/cancel`, { reason });
    onChanged();
  } catch (e) {
    status.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível cancelar."));
  }
}
