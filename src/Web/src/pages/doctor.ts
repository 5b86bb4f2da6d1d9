import type { App } from "../app";
import { ApiError, type Fetched } from "../api/http";
import type { Availability, CallStatusChanged, WeeklyInterval } from "../api/types";
import { field, h, message, mount, showFieldErrors } from "../ui/dom";
import { browserTimeZone, describeMinutes, localDate } from "../ui/format";
import { appointmentItem, type AppointmentWithWindow } from "./appointmentList";
import { latestOnly } from "../ui/latest";
import { documentsCard } from "./doctorDocuments";

/** Where the agenda's period ("Semana" or "Hoje") is kept for the tab's session. */
const agendaViewKey = "telemedicina.agenda-period";

const days: [string, string][] = [
  ["monday", "Segunda"], ["tuesday", "Terça"], ["wednesday", "Quarta"], ["thursday", "Quinta"], ["friday", "Sexta"], ["saturday", "Sábado"], ["sunday", "Domingo"],
];
const zones = ["America/Sao_Paulo", "America/Manaus", "America/Belem", "America/Fortaleza", "America/Recife", "America/Cuiaba", "America/Porto_Velho",
  "America/Rio_Branco", "America/Noronha", "Europe/Lisbon", "America/New_York", "UTC"];

/** Doctor home: weekly availability, days off and the agenda (day or week). */
export async function renderDoctor(app: App): Promise<() => void> {
  const zone = h("select", { name: "timeZone" });
  for (const z of new Set([browserTimeZone(), ...zones])) zone.append(h("option", { value: z }, z));
  const slotMinutes = h("input", { type: "number", name: "slotMinutes", min: 5, max: 240, value: 30 });
  // The rest of the availability is saved with it (the save replaces the whole): shown here, so that a save from this
  // page keeps what was set and a doctor can set it without the API.
  const bufferBefore = h("input", { type: "number", name: "bufferBeforeMinutes", min: 0, max: 120, value: 0, "data-testid": "buffer-before" });
  const bufferAfter = h("input", { type: "number", name: "bufferAfterMinutes", min: 0, max: 120, value: 0, "data-testid": "buffer-after" });
  const minimumNotice = h("input", { type: "number", name: "minimumNoticeMinutes", min: 0, max: 10080, placeholder: "a da plataforma", "data-testid": "minimum-notice" });
  const noticeHint = h("small", { class: "muted", "data-testid": "minimum-notice-effective" });
  const bookingWindow = h("input", { type: "number", name: "bookingWindowDays", min: 1, max: 365, value: 30, "data-testid": "booking-window" });
  const showEffectiveNotice = (saved: Availability) => {
    const effective = saved.effectiveMinimumNoticeMinutes;
    noticeHint.textContent = effective <= 0
      ? "Vale agora: pode-se agendar até o início da consulta."
      : `Vale agora: agendamento até ${describeMinutes(effective)} antes do início` +
        ((saved.minimumNoticeMinutes ?? 0) < effective ? " (o mínimo da plataforma)." : ".");
  };
  const rows = h("div", { class: "weekly" });
  const availabilityStatus = h("div", { class: "status" });
  const addRow = (interval?: WeeklyInterval) => {
    const day = h("select", { "aria-label": "Dia" }, ...days.map(([value, label]) => h("option", { value }, label)));
    const start = h("input", { type: "time", value: interval?.start ?? "08:00", "aria-label": "Início" });
    const end = h("input", { type: "time", value: interval?.end === "24:00" ? "23:59" : interval?.end ?? "12:00", "aria-label": "Fim" });
    if (interval) day.value = interval.dayOfWeek;
    const row = h("div", { class: "interval" }, day, start, end, h("button", { type: "button", class: "link", onclick: () => row.remove() }, "Remover"));
    rows.append(row);
  };
  const form = h("form", { class: "card" }, h("h1", {}, "Disponibilidade"),
    field("Fuso horário", zone), field("Duração da consulta (min)", slotMinutes),
    h("div", { class: "filters" },
      field("Intervalo antes de cada consulta (min)", bufferBefore), field("Intervalo depois de cada consulta (min)", bufferAfter),
      field("Antecedência mínima para agendar (min)", minimumNotice, "Ex.: 120 = 2 horas. Em branco, vale a da plataforma."),
      field("Agenda aberta para os próximos (dias)", bookingWindow)),
    noticeHint,
    h("h2", {}, "Horários semanais"), rows,
    h("button", { type: "button", onclick: () => addRow() }, "Adicionar horário"),
    availabilityStatus,
    h("button", { type: "submit", class: "primary", "data-testid": "availability-save" }, "Salvar"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const weekly = [...rows.querySelectorAll(".interval")].map((row) => {
      const [day, start, end] = row.querySelectorAll<HTMLInputElement | HTMLSelectElement>("select, input");
      return { dayOfWeek: day!.value, start: start!.value, end: end!.value === "23:59" ? "24:00" : end!.value };
    });
    try {
      const saved = await app.http.put<Availability>("/api/v1/scheduling/doctors/me/availability", {
        timeZone: zone.value,
        slotMinutes: Number(slotMinutes.value),
        bufferBeforeMinutes: Number(bufferBefore.value || 0),
        bufferAfterMinutes: Number(bufferAfter.value || 0),
        minimumNoticeMinutes: minimumNotice.value === "" ? undefined : Number(minimumNotice.value),
        bookingWindowDays: Number(bookingWindow.value || 30),
        weekly,
      });
      showFieldErrors(form, {});
      showEffectiveNotice(saved);
      availabilityStatus.replaceChildren(message("success", "Disponibilidade salva."));
    } catch (e) {
      if (e instanceof ApiError) {
        showFieldErrors(form, e.fieldErrors());
        availabilityStatus.replaceChildren(message("error", Object.values(e.fieldErrors()).join(" ") || e.message));
      } else {
        availabilityStatus.replaceChildren(message("error", "Não foi possível salvar: sem conexão. Tente de novo."));
      }
    }
  });

  const blockDate = h("input", { type: "date", name: "date" });
  const blockReason = h("input", { name: "reason", maxlength: 500 });
  const blockedList = h("ul", { class: "blocked" });
  const blockStatus = h("div", { class: "status" });
  const blockedTurn = latestOnly();
  const loadBlocked = async () => {
    const current = blockedTurn();
    try {
      const list = await app.http.get<{ date: string; reason: string | null }[]>("/api/v1/scheduling/doctors/me/blocked-dates");
      if (!current()) return;
      blockedList.replaceChildren(...list.map((b) => h("li", {}, `${b.date} ${b.reason ?? ""} `,
        h("button", { type: "button", class: "link", onclick: () => void unblock(b.date) }, "Desbloquear"))));
    } catch (e) {
      if (current()) blockStatus.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível carregar os dias bloqueados."));
    }
  };
  const unblock = async (date: string) => {
    try {
      await app.http.delete(`/api/v1/scheduling/doctors/me/blocked-dates/${date}`);
      blockStatus.replaceChildren(message("success", `Dia ${date} desbloqueado.`));
      await Promise.all([loadBlocked(), loadAgenda()]);
    } catch (e) {
      blockStatus.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível desbloquear o dia."));
    }
  };
  const block = async (cancelAppointments: boolean) => {
    try {
      await app.http.post("/api/v1/scheduling/doctors/me/blocked-dates", { date: blockDate.value, reason: blockReason.value || undefined, cancelAppointments });
      blockStatus.replaceChildren(message("success", "Dia bloqueado."));
      await Promise.all([loadBlocked(), loadAgenda()]);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && Array.isArray(e.problem["appointments"])) {
        const count = (e.problem["appointments"] as unknown[]).length;
        blockStatus.replaceChildren(message("info", e.message),
          h("button", { type: "button", class: "danger", onclick: () => void block(true) }, `Cancelar ${count} consulta(s) e bloquear`));
      } else {
        blockStatus.replaceChildren(message("error", e instanceof ApiError ? e.message : "Não foi possível bloquear."));
      }
    }
  };
  const blockForm = h("div", { class: "card" }, h("h2", {}, "Dias bloqueados"), field("Data", blockDate), field("Motivo", blockReason),
    h("button", { type: "button", onclick: () => void block(false) }, "Bloquear dia"), blockStatus, blockedList);

  const view = h("select", { "aria-label": "Período", "data-testid": "agenda-period" }, h("option", { value: "week" }, "Semana"), h("option", { value: "day" }, "Hoje"));
  const agenda = h("ul", { class: "appointments" });
  // A refresh that fails (the network gone for a moment) keeps the agenda on screen and says it may be out of date;
  // the next refresh clears the notice. It used to fail silently, every 30 s, with the agenda frozen.
  const agendaStatus = h("div", { role: "status", "aria-live": "polite", "data-testid": "agenda-status" });
  const agendaTurn = latestOnly();
  // Who waits now (the incoming-call panel's list): the agenda marks them as soon as they ask, and any change of a call
  // (accepted, ended, given up) reloads the agenda at once. It showed neither until its next 30 s refresh.
  let shownList: AppointmentWithWindow[] = [];
  // What the last refresh got, with its entity tag: the next refresh sends it back and gets 304 while nothing changed.
  let lastFetched: Fetched<AppointmentWithWindow[]> | undefined;
  const renderAgenda = () => {
    const waiting = app.waitingCalls.appointmentIds();
    agenda.replaceChildren(...(shownList.length === 0 ? [h("li", { class: "muted" }, "Nenhuma consulta no período.")] :
      shownList.map((a) => appointmentItem(app, a, "doctor", () => void loadAgenda(), undefined, waiting.has(a.appointmentId)))));
  };
  const loadAgenda = async () => {
    const current = agendaTurn();
    const from = new Date(Date.now() - 12 * 3600 * 1000);
    const to = new Date(Date.now() + (view.value === "day" ? 1 : 7) * 24 * 3600 * 1000);
    let fetched: Fetched<AppointmentWithWindow[]>;
    try {
      fetched = await app.http.getIfChanged<AppointmentWithWindow[]>(
        `/api/v1/scheduling/appointments?role=doctor&from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`, lastFetched);
    } catch (e) {
      if (current()) {
        agendaStatus.replaceChildren(message("error",
          `Não foi possível atualizar a agenda (${e instanceof ApiError ? e.message : "sem conexão"}). Ela pode estar desatualizada; tentaremos de novo em instantes.`));
      }
      return;
    }

    if (!current()) return;
    lastFetched = fetched;
    agendaStatus.replaceChildren();
    const today = localDate(new Date().toISOString(), browserTimeZone());
    const list = fetched.data;
    const shown = (view.value === "day" ? list.filter((a) => localDate(a.startsAt, browserTimeZone()) === today) : [...list])
      .sort((a, b) => a.startsAt.localeCompare(b.startsAt));
    // Nothing changed (the server said 304 and the day is the same): the agenda is not redrawn, so the doctor's focus
    // and scroll stay where they were. It was redrawn every 30 s.
    if (!fetched.changed && JSON.stringify(shown) === JSON.stringify(shownList)) return;
    shownList = shown;
    renderAgenda();
  };
  const cleanups = [
    app.waitingCalls.onChange(() => {
      if (agenda.isConnected) renderAgenda();
    }),
    app.hub.on<CallStatusChanged>("CallStatusChanged", (change) => {
      if (change.status !== "ringing" && agenda.isConnected) void loadAgenda();
    }),
  ];
  // The period chosen is kept for the tab's session: back from a call, "Hoje" is still "Hoje".
  view.value = sessionStorage.getItem(agendaViewKey) === "day" ? "day" : "week";
  view.addEventListener("change", () => {
    sessionStorage.setItem(agendaViewKey, view.value);
    void loadAgenda();
  });

  const verification = h("div", { "data-testid": "verification-status" });
  const documents = documentsCard(app);
  mount("medico", h("div", { class: "columns" },
    h("div", {}, h("div", { class: "card" }, h("h1", {}, "Agenda"), verification, view, agendaStatus, agenda), blockForm),
    h("div", {}, form, documents.card)));

  // A doctor still being verified can set up the agenda, but no patient sees it yet: say so where the agenda is.
  void app.http.get<{ doctor?: { verified: boolean } }>("/api/v1/identity/me").then((me) => {
    documents.verified(me.doctor?.verified === true);
    if (me.doctor && !me.doctor.verified) {
      verification.replaceChildren(message("info", "Seu cadastro está em verificação pela equipe: os pacientes verão seus horários quando o CRM for confirmado. " +
        "Envie seus documentos em \u201cDocumentos para verificação\u201d."));
    }
  }).catch(() => {});

  try {
    const current = await app.http.get<Availability>("/api/v1/scheduling/doctors/me/availability");
    zone.value = current.timeZone;
    slotMinutes.value = String(current.slotMinutes);
    bufferBefore.value = String(current.bufferBeforeMinutes);
    bufferAfter.value = String(current.bufferAfterMinutes);
    minimumNotice.value = current.minimumNoticeMinutes === null ? "" : String(current.minimumNoticeMinutes);
    bookingWindow.value = String(current.bookingWindowDays);
    showEffectiveNotice(current);
    current.weekly.forEach((w) => addRow(w));
  } catch {
    days.slice(0, 5).forEach(([dayOfWeek]) => addRow({ dayOfWeek, start: "08:00", end: "12:00" }));
  }

  await Promise.all([loadAgenda(), loadBlocked(), documents.load()]);
  const refresh = setInterval(() => void loadAgenda(), 30_000);
  return () => {
    clearInterval(refresh);
    cleanups.forEach((off) => off());
  };
}
