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
