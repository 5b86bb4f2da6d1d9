import type { Slot } from "../api/types";

export const browserTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || "America/Sao_Paulo";

export function formatDateTime(iso: string, timeZone = browserTimeZone()): string {
  return new Intl.DateTimeFormat("pt-BR", { dateStyle: "full", timeStyle: "short", timeZone }).format(new Date(iso));
}

export function formatTime(iso: string, timeZone = browserTimeZone()): string {
  return new Intl.DateTimeFormat("pt-BR", { hour: "2-digit", minute: "2-digit", timeZone }).format(new Date(iso));
}

/** yyyy-MM-dd of an instant in a time zone. */
export function localDate(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone }).formatToParts(new Date(iso));
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get("year")}-${get("month")}-${get("day")}`;
}

export interface SlotDay {
  date: string;
  label: string;
  slots: Slot[];
}

/** Groups slots by the local day of the person looking at them (not the doctor's). */
export function groupSlotsByDay(slots: Slot[], timeZone: string): SlotDay[] {
  const days = new Map<string, SlotDay>();
  for (const slot of [...slots].sort((a, b) => a.startsAt.localeCompare(b.startsAt))) {
    const date = localDate(slot.startsAt, timeZone);
    let day = days.get(date);
    if (!day) {
      // "sábado, 05 de dezembro" as a heading: only its first letter is capitalised (not "De Dezembro").
      const long = new Intl.DateTimeFormat("pt-BR", { weekday: "long", day: "2-digit", month: "long", timeZone }).format(new Date(slot.startsAt));
      const label = long.charAt(0).toLocaleUpperCase("pt-BR") + long.slice(1);
      day = { date, label, slots: [] };
      days.set(date, day);
    }

    day.slots.push(slot);
  }

  return [...days.values()];
}

export const statusLabels: Record<string, string> = {
  scheduled: "Agendada",
  inProgress: "Em andamento",
  completed: "Concluída",
  cancelled: "Cancelada",
  noShow: "Não compareceu",
  ringing: "Chamando",
  accepted: "Aceita",
  rejected: "Recusada",
  missed: "Não atendida",
  ended: "Encerrada",
};

export function formatDuration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = Math.floor(seconds % 60);
  return `${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}

/** A span of minutes in words: "0 min", "45 min", "2 h", "2 h 30 min", "1 dia", "3 dias e 4 h". */
export function describeMinutes(minutes: number): string {
  if (minutes <= 0) return "0 min";
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  const parts: string[] = [];
  if (days > 0) parts.push(days === 1 ? "1 dia" : `${days} dias`);
  if (hours > 0) parts.push(`${hours} h`);
  if (rest > 0) parts.push(`${rest} min`);
  if (days > 0 && parts.length > 1) return `${parts[0]} e ${parts.slice(1).join(" ")}`;
  return parts.join(" ");
}

const isoInstant = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g;

/**
 * A text from the server with instants in it (a rescheduled appointment's reason says "remarcada para
 * 2026-12-06T13:30:00Z"), each instant written as the reader's local date and time.
 */
export function localizeInstants(text: string, timeZone = browserTimeZone()): string {
  return text.replace(isoInstant, (iso) => formatDateTime(iso, timeZone));
}
