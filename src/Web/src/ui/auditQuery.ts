/** What the admin filters the audit trail by, as typed in the page's form. */
export interface AuditFilters {
  /** The person whose data was touched (a user id). */
  subject: string;
  /** Who did it (a user id). */
  actor: string;
  /** One of the trail's action codes (read, update, login...), or empty for all. */
  action: string;
  /** First day, yyyy-mm-dd in the browser's time zone, or empty. */
  fromDate: string;
  /** Last day, included, yyyy-mm-dd in the browser's time zone, or empty. */
  toDate: string;
}

/** Midnight starting the given day (yyyy-mm-dd) in the browser's time zone, or that of the day after. */
export function dayStart(date: string, plusDays = 0): Date {
  const [year, month, day] = date.split("-").map(Number);
  return new Date(year!, month! - 1, day! + plusDays);
}

/**
 * The admin audit search's query: the ids and the action as given, and the days as the instants the API takes. The last
 * day is included: "to" is the midnight after it, the API's end being exclusive. Empty filters are left out.
 */
export function auditQuery(filters: AuditFilters, page = 1): URLSearchParams {
  const query = new URLSearchParams();
  if (filters.subject.trim()) query.set("subject", filters.subject.trim());
  if (filters.actor.trim()) query.set("actor", filters.actor.trim());
  if (filters.action) query.set("action", filters.action);
  if (filters.fromDate) query.set("from", dayStart(filters.fromDate).toISOString());
  if (filters.toDate) query.set("to", dayStart(filters.toDate, 1).toISOString());
  if (page > 1) query.set("page", String(page));
  return query;
}

const userIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether what the admin typed in a person field is an account's id (else it is an e-mail or a name to look up). */
export function isUserId(value: string): boolean {
  return userIdPattern.test(value.trim());
}
