import type { App } from "../app";
import { ApiError, type Fetched } from "../api/http";
import type { Doctor, Slot } from "../api/types";
import { field, h, message, mount } from "../ui/dom";
import { browserTimeZone, formatDateTime, formatTime, groupSlotsByDay } from "../ui/format";
import { appointmentItem, type AppointmentWithWindow } from "./appointmentList";
import { listKey, upcomingFirst } from "../ui/appointmentOrder";
import { latestOnly } from "../ui/latest";

/** Patient home: find a doctor, pick a slot in your own time zone, and your appointments. */
export async function renderPatient(app: App): Promise<() => void> {
  const search = h("input", { type: "search", name: "q", placeholder: "Nome ou especialidade", "data-testid": "doctor-search" });
  const doctors = h("ul", { class: "doctors" });
  const booking = h("div", { class: "booking" });
  const mine = h("ul", { class: "appointments" });
  const status = h("div", { class: "status" });
  let rescheduling: AppointmentWithWindow | null = null;
  // Each list shows the answer to the request made last (see latestOnly): a tap on one doctor then another, or a search
  // typed on, must not end with the earlier answer on screen.
  const appointmentsTurn = latestOnly();
  const slotsTurn = latestOnly();
  const doctorsTurn = latestOnly();

  let lastFetched: Fetched<AppointmentWithWindow[]> | undefined;
  let drawnKey = "";
  const loadAppointments = async () => {
    const current = appointmentsTurn();
    try {
      // A conditional GET: while nothing changed the server answers 304 and the page keeps what it has.
      const fetched = await app.http.getIfChanged<AppointmentWithWindow[]>("/api/v1/scheduling/appointments?role=patient", lastFetched);
      if (!current()) return;
      lastFetched = fetched;
      const now = Date.now();
      const ordered = upcomingFirst(fetched.data, now);
      // The list is redrawn only when a row would change: its data, its order, or what follows the clock (the room
      // opens, the deadline for changes passes). It was redrawn every 30 s, and a keyboard user's focus went with it.
      const key = listKey(ordered, now);
      if (key === drawnKey) return;
      drawnKey = key;
      mine.replaceChildren(...(ordered.length === 0 ? [h("li", { class: "muted" }, "Nenhuma consulta ainda.")] :
        ordered.map((a) => appointmentItem(app, a, "patient", () => {
          // A cancellation: the last booking's or rescheduling's message no longer describes this appointment.
          status.replaceChildren(message("success", "Consulta cancelada.", "cancel-done"));
          void loadAppointments();
        }, (chosen) => {
          rescheduling = chosen;
          void showSlots({ doctorId: chosen.doctorId, fullName: chosen.doctorName ?? "", specialty: "", timeZone: "" });
        }))));
    } catch (e) {
      if (!current()) return;
      drawnKey = "";
      mine.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível carregar suas consultas."));
    }
  };

  const showSlots = async (doctor: Doctor) => {
    const zone = browserTimeZone();
    const from = new Date();
    const to = new Date(Date.now() + 7 * 24 * 3600 * 1000);
    const current = slotsTurn();
    booking.replaceChildren(h("p", { class: "muted" }, "Carregando horários..."));
    let slots: Slot[];
    try {
      slots = await app.http.get<Slot[]>(`/api/v1/scheduling/doctors/${doctor.doctorId}/slots?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`);
    } catch (e) {
      if (!current()) return;
      booking.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível carregar os horários."));
      return;
    }

    if (!current()) return;
    const reason = h("input", { name: "reason", maxlength: 500, "data-testid": "book-reason" });
    const days = groupSlotsByDay(slots, zone);
    // The chosen slot is confirmed here, above the list of days, and so is any refusal: a month of slots pushed a
    // message under them out of sight, and a tap on a slot booked it at once.
    const choice = h("div", { class: "choice", "data-testid": "book-choice", role: "status", "aria-live": "polite" });
    const choose = (slot: Slot) => {
      const confirm = h("button", { type: "button", class: "primary", "data-testid": "book-confirm" },
        rescheduling ? "Confirmar remarcação" : "Confirmar agendamento");
      confirm.addEventListener("click", () => {
        confirm.disabled = true;
        void book(doctor, slot, reason.value, choice).finally(() => (confirm.disabled = false));
      });
      choice.replaceChildren(
        h("p", {}, `${rescheduling ? "Remarcar para" : "Consulta com"} ${rescheduling ? "" : `${doctor.fullName} em `}${formatDateTime(slot.startsAt)}?`),
        confirm,
        h("button", { type: "button", "data-testid": "book-other", onclick: () => choice.replaceChildren() }, "Escolher outro horário"));
      // The confirmation sits above the list of days: focus goes there (and the page with it), or a keyboard user
      // would tab back through every earlier slot to reach it.
      confirm.focus();
      choice.scrollIntoView({ block: "nearest" });
    };
    const heading = h("h2", { tabindex: -1, "data-testid": "booking-heading" }, rescheduling ? `Remarcar com ${doctor.fullName}` : `Horários de ${doctor.fullName}`);
    booking.replaceChildren(...[
      heading,
      h("p", { class: "muted" }, `Horários no seu fuso (${zone}).`),
      rescheduling ? null : field("Motivo da consulta (opcional)", reason),
      choice,
      days.length === 0 ? h("p", {}, "Nenhum horário livre nos próximos 7 dias.") : null,
      ...days.map((day) => h("div", { class: "day" }, h("h3", {}, day.label),
        h("div", { class: "slots" }, ...day.slots.map((slot) => h("button", {
          type: "button", class: "slot", "data-testid": "slot-item", "data-starts-at": slot.startsAt,
          onclick: () => choose(slot),
        }, formatTime(slot.startsAt, zone))))))].filter((n) => n !== null));
    // "Remarcar" is tapped in the list of appointments, far below the slots on a phone: take the patient to them.
    if (rescheduling) {
      heading.focus({ preventScroll: true });
      booking.scrollIntoView({ block: "start" });
    }
  };

  const book = async (doctor: Doctor, slot: Slot, reason: string, choice: HTMLElement) => {
    status.replaceChildren();
    try {
      if (rescheduling) {
        await app.http.post(`/api/v1/scheduling/appointments/${rescheduling.appointmentId}/reschedule`, { startsAt: slot.startsAt });
        rescheduling = null;
        status.replaceChildren(message("success", `Consulta remarcada para ${formatDateTime(slot.startsAt)}.`, "book-done"));
      } else {
        await app.http.post("/api/v1/scheduling/appointments", { doctorId: doctor.doctorId, startsAt: slot.startsAt, reason: reason || undefined });
        status.replaceChildren(message("success", `Consulta agendada com ${doctor.fullName} para ${formatDateTime(slot.startsAt)}.`, "book-done"));
      }

      slotsTurn(); // the slots of a doctor tapped meanwhile no longer belong on the page
      booking.replaceChildren();
      await loadAppointments();
    } catch (e) {
      const refusal = message("error", e instanceof ApiError ? e.message : "Não foi possível agendar.", "book-error");
      if (e instanceof ApiError && e.status === 409) {
        await showSlots(doctor);
        status.replaceChildren(refusal);
        status.scrollIntoView({ block: "nearest" });
        return;
      }

      // Shown where the patient is looking, with the way to fix it when there is one.
      const consent = e instanceof ApiError && (e.problem.type ?? "").endsWith("/consent-required");
      choice.replaceChildren(refusal);
      if (consent) choice.append(h("a", { href: "#/privacidade", "data-testid": "go-consent" }, "Dar o consentimento em Privacidade"));
      choice.scrollIntoView({ block: "nearest" });
    }
  };

  // The list is redrawn when a search answers. A keyboard user may have tabbed into it before: the focus stays on the
  // same doctor, or goes back to the search field when the answer leaves that doctor out, not to the top of the page.
  const showDoctors = (...items: Node[]) => {
    const active = document.activeElement;
    const focused = active instanceof HTMLElement && doctors.contains(active) ? active.dataset.doctorId ?? "" : null;
    doctors.replaceChildren(...items);
    if (focused !== null) {
      ([...doctors.querySelectorAll<HTMLElement>("[data-doctor-id]")].find((b) => b.dataset.doctorId === focused) ?? search).focus();
    }
  };

  const loadDoctors = async () => {
    const q = search.value.trim();
    const current = doctorsTurn();
    try {
      const list = await app.http.get<Doctor[]>(`/api/v1/scheduling/doctors${q ? `?q=${encodeURIComponent(q)}` : ""}`);
      if (!current()) return;
      if (list.length === 0) {
        showDoctors(h("li", { class: "muted", "data-testid": "no-doctors" }, q ? `Nenhum médico encontrado para "${q}".` : "Nenhum médico disponível no momento."));
        return;
      }

      showDoctors(...list.map((d) => h("li", {},
        h("button", { type: "button", class: "doctor", "data-testid": "doctor-item", "data-doctor-id": d.doctorId, onclick: () => { rescheduling = null; void showSlots(d); } },
          h("strong", {}, d.fullName), h("span", { class: "muted" }, d.specialty)))));
    } catch (e) {
      if (!current()) return;
      showDoctors(message("error", e instanceof ApiError ? e.message : "Não foi possível buscar médicos."));
    }
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => void loadDoctors(), 300);
  });
  mount("paciente",
    h("div", { class: "columns" },
      h("div", { class: "card" }, h("h1", {}, "Agendar consulta"), field("Buscar médico", search), doctors, booking, status),
      h("div", { class: "card" }, h("h1", {}, "Minhas consultas"), mine)));
  await Promise.all([loadDoctors(), loadAppointments()]);
  const refresh = setInterval(() => void loadAppointments(), 30_000);
  return () => clearInterval(refresh);
}
