import { localDate } from "./format";

/** One line of the access report as the API gives it (newest first). */
export interface Access {
  at: string;
  actorId?: string | null;
  actorName: string | null;
  actorRole: string | null;
  action: string;
  resourceType: string;
  purpose: string | null;
}

/** Consecutive identical accesses shown as one line: the latest, when the first of them was, and how many. */
export interface AccessGroup<T extends Access> {
  latest: T;
  firstAt: string;
  count: number;
}

const sameAccess = (a: Access, b: Access) =>
  (a.actorId ?? null) === (b.actorId ?? null) && a.actorName === b.actorName && a.actorRole === b.actorRole &&
  a.action === b.action && a.resourceType === b.resourceType && a.purpose === b.purpose;

/**
 * Groups the report's consecutive accesses that are the same (the same person, action, data and purpose) on the same
 * local day, so that a doctor who opened the same appointment ten times in a morning is one line saying so, and the
 * accesses around it are not lost among those lines. Nothing is dropped: each line says how many it stands for and
 * since when. An access by someone else in between starts a new line, so the order of who did what stays as it was.
 */
export function groupAccesses<T extends Access>(items: readonly T[], timeZone: string): AccessGroup<T>[] {
  const groups: AccessGroup<T>[] = [];
  for (const item of items) {
    const last = groups[groups.length - 1];
    if (last && sameAccess(last.latest, item) && localDate(last.latest.at, timeZone) === localDate(item.at, timeZone)) {
      last.firstAt = item.at;
      last.count++;
    } else {
      groups.push({ latest: item, firstAt: item.at, count: 1 });
    }
  }

  return groups;
}
