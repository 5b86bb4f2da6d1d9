/** What the ordering needs of an appointment. */
export interface Ordered {
  startsAt: string;
  endsAt: string;
  status: string;
}

/**
 * A patient's list: what is still ahead first, soonest first (the next consultation on top), then the rest (done,
 * cancelled, missed), most recent first. Sorting everything by date, furthest first, put next week's appointment under
 * next month's and mixed cancelled ones in.
 */
export function upcomingFirst<T extends Ordered>(list: readonly T[], now: number): T[] {
  const ahead = (a: T) => (a.status === "scheduled" || a.status === "inProgress") && Date.parse(a.endsAt) >= now;
  const upcoming = list.filter(ahead).sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt));
  const rest = list.filter((a) => !ahead(a)).sort((a, b) => Date.parse(b.startsAt) - Date.parse(a.startsAt));
  return [...upcoming, ...rest];
}

/** What of an appointment's row follows the clock. */
export interface Windowed {
  joinOpensAt: string;
  joinClosesAt: string;
  /** Until when the patient may cancel or reschedule (absent from an older server: no deadline). */
  patientChangesUntil?: string;
}

/** The parts of a row that change with the time alone: the room not open yet, the room still open, changes still allowed. */
export interface RowClock {
  beforeRoom: boolean;
  roomAhead: boolean;
  patientMayChange: boolean;
}

/** The row's state at `now`. The row is drawn from it, and a refresh that finds it and the list unchanged draws nothing. */
export function rowClock(a: Windowed, now: number): RowClock {
  return {
    beforeRoom: now < Date.parse(a.joinOpensAt),
    roomAhead: now <= Date.parse(a.joinClosesAt),
    patientMayChange: !a.patientChangesUntil || now <= Date.parse(a.patientChangesUntil),
  };
}

/**
 * What a patient's list shows at `now`, as one string: the rows in their order with their data and their clock state.
 * Equal keys draw the same list, so a refresh that finds the same key leaves the list (and the focus in it) alone.
 */
export function listKey<T extends Ordered & Windowed>(ordered: readonly T[], now: number): string {
  return JSON.stringify(ordered.map((a) => [a, rowClock(a, now)]));
}
