import { describe, expect, it } from "vitest";
import { listKey, rowClock, upcomingFirst } from "./appointmentOrder";

describe("upcomingFirst", () => {
  it("puts the next consultation on top, then the past and cancelled ones, latest first", () => {
    const now = Date.parse("2026-12-05T12:00:00Z");
    const at = (day: number, status: string) => ({ id: `${day}-${status}`, startsAt: `2026-12-${String(day).padStart(2, "0")}T10:00:00Z`, endsAt: `2026-12-${String(day).padStart(2, "0")}T10:30:00Z`, status });
    const list = [at(20, "scheduled"), at(1, "completed"), at(9, "cancelled"), at(8, "scheduled"), at(3, "cancelled"), at(4, "noShow")];
    expect(upcomingFirst(list, now).map((a) => a.id)).toEqual(["8-scheduled", "20-scheduled", "9-cancelled", "4-noShow", "3-cancelled", "1-completed"]);
  });
});

describe("rowClock and listKey", () => {
  const a = {
    id: "a", status: "scheduled", startsAt: "2026-12-05T14:00:00Z", endsAt: "2026-12-05T14:30:00Z",
    joinOpensAt: "2026-12-05T13:50:00Z", joinClosesAt: "2026-12-05T15:00:00Z", patientChangesUntil: "2026-12-05T12:00:00Z",
  };
  const at = (time: string) => Date.parse(`2026-12-05T${time}Z`);

  it("follows the room's window and the deadline for changes", () => {
    expect(rowClock(a, at("11:00:00"))).toEqual({ beforeRoom: true, roomAhead: true, patientMayChange: true });
    expect(rowClock(a, at("12:00:01"))).toEqual({ beforeRoom: true, roomAhead: true, patientMayChange: false });
    expect(rowClock(a, at("13:50:00"))).toEqual({ beforeRoom: false, roomAhead: true, patientMayChange: false });
    expect(rowClock(a, at("15:00:01"))).toEqual({ beforeRoom: false, roomAhead: false, patientMayChange: false });
    expect(rowClock({ ...a, patientChangesUntil: undefined }, at("15:00:01")).patientMayChange).toBe(true);
  });

  it("stays the same while nothing on the rows would change, and changes when the room opens or a row does", () => {
    const key = listKey([a], at("13:00:00"));
    expect(listKey([a], at("13:49:59"))).toBe(key);
    expect(listKey([a], at("13:50:00"))).not.toBe(key);
    expect(listKey([{ ...a, status: "cancelled" }], at("13:00:00"))).not.toBe(key);
    expect(listKey([a, { ...a, id: "b" }], at("13:00:00"))).not.toBe(listKey([{ ...a, id: "b" }, a], at("13:00:00")));
  });
});
