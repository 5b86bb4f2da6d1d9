import { describe, expect, it } from "vitest";
import { upcomingFirst } from "./appointmentOrder";

describe("upcomingFirst", () => {
  it("puts the next consultation on top, then the past and cancelled ones, latest first", () => {
    const now = Date.parse("2026-12-05T12:00:00Z");
    const at = (day: number, status: string) => ({ id: `${day}-${status}`, startsAt: `2026-12-${String(day).padStart(2, "0")}T10:00:00Z`, endsAt: `2026-12-${String(day).padStart(2, "0")}T10:30:00Z`, status });
    const list = [at(20, "scheduled"), at(1, "completed"), at(9, "cancelled"), at(8, "scheduled"), at(3, "cancelled"), at(4, "noShow")];
    expect(upcomingFirst(list, now).map((a) => a.id)).toEqual(["8-scheduled", "20-scheduled", "9-cancelled", "4-noShow", "3-cancelled", "1-completed"]);
  });
});
