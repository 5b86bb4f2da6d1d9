/**
 * Gives each request of one list on a page a turn, so that only the latest one asked for may write its answer. On a
 * slow network answers come back out of order, and an earlier answer (the slots of the doctor tapped before, a search
 * since refined, the week the doctor switched away from) would replace the one asked for last.
 *
 * ```ts
 * const turn = latestOnly();
 * const load = async () => {
 *   const current = turn();
 *   const rows = await fetchRows();
 *   if (current()) list.replaceChildren(...rows);
 * };
 * ```
 */
export function latestOnly(): () => () => boolean {
  let latest = 0;
  return () => {
    const mine = ++latest;
    return () => mine === latest;
  };
}
