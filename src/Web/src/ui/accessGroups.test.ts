import { describe, expect, it } from "vitest";
import { groupAccesses, type Access } from "./accessGroups";

const read = (at: string, actorId: string, resourceType = "Appointment"): Access => ({
  at, actorId, actorName: actorId === "d" ? "Dra. Ana" : "Admin", actorRole: actorId === "d" ? "doctor" : "admin",
  action: "read", resourceType, purpose: "care",
});

describe("groupAccesses", () => {
  it("makes one line of the same person's same access in a row on one day, with how many and since when", () => {
    const items = [
      read("2026-12-05T17:45:00Z", "d"), read("2026-12-05T15:00:00Z", "d"), read("2026-12-05T11:02:00Z", "d"),
      read("2026-12-05T10:00:00Z", "a"),
      read("2026-12-05T09:00:00Z", "d"),
    ];
    const groups = groupAccesses(items, "America/Sao_Paulo");
    expect(groups.map((g) => [g.latest.at, g.firstAt, g.count])).toEqual([
      ["2026-12-05T17:45:00Z", "2026-12-05T11:02:00Z", 3],
      ["2026-12-05T10:00:00Z", "2026-12-05T10:00:00Z", 1],
      ["2026-12-05T09:00:00Z", "2026-12-05T09:00:00Z", 1],
    ]);
    expect(groups.reduce((sum, g) => sum + g.count, 0)).toBe(items.length);
  });

  it("keeps days, data and purposes apart", () => {
    // 02:30 UTC on the 6th is still the 5th in São Paulo: one day there, two in UTC.
    const lateEvening = [read("2026-12-06T02:30:00Z", "d"), read("2026-12-05T20:00:00Z", "d")];
    expect(groupAccesses(lateEvening, "America/Sao_Paulo")).toHaveLength(1);
    expect(groupAccesses(lateEvening, "UTC")).toHaveLength(2);
    expect(groupAccesses([read("2026-12-05T10:00:00Z", "d"), read("2026-12-05T09:00:00Z", "d", "AppointmentList")], "UTC")).toHaveLength(2);
    expect(groupAccesses([read("2026-12-05T10:00:00Z", "d"), { ...read("2026-12-05T09:00:00Z", "d"), purpose: "billing" }], "UTC")).toHaveLength(2);
  });
});
