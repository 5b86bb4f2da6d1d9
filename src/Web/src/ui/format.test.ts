import { describe, expect, it } from "vitest";
import { describeMinutes, groupSlotsByDay, localDate, localizeInstants } from "./format";

describe("groupSlotsByDay", () => {
  const slots = [
    { startsAt: "2026-03-02T02:30:00Z", endsAt: "2026-03-02T03:00:00Z" },
    { startsAt: "2026-03-01T23:30:00Z", endsAt: "2026-03-02T00:00:00Z" },
    { startsAt: "2026-03-02T12:00:00Z", endsAt: "2026-03-02T12:30:00Z" },
  ];

  it("groups by the viewer's local day, sorted", () => {
    // São Paulo is UTC-3: 23:30Z and 02:30Z are both on March 1st there.
    const days = groupSlotsByDay(slots, "America/Sao_Paulo");
    expect(days.map((d) => d.date)).toEqual(["2026-03-01", "2026-03-02"]);
    expect(days[0]!.slots.map((s) => s.startsAt)).toEqual(["2026-03-01T23:30:00Z", "2026-03-02T02:30:00Z"]);
  });

  it("labels a day as a Portuguese heading: capital first letter only", () => {
    expect(groupSlotsByDay(slots, "America/Sao_Paulo")[0]!.label).toBe("Domingo, 01 de março");
  });

  it("gives another grouping in another zone", () => {
    expect(groupSlotsByDay(slots, "Europe/Lisbon").map((d) => d.slots.length)).toEqual([1, 2]);
  });

  it("computes local dates across midnight", () => {
    expect(localDate("2026-03-02T02:30:00Z", "America/Sao_Paulo")).toBe("2026-03-01");
    expect(localDate("2026-03-02T02:30:00Z", "UTC")).toBe("2026-03-02");
  });
});

describe("describeMinutes", () => {
  it.each([
    [0, "0 min"],
    [5, "5 min"],
    [60, "1 h"],
    [150, "2 h 30 min"],
    [1440, "1 dia"],
    [2 * 1440 + 240, "2 dias e 4 h"],
    [10080, "7 dias"],
    [1440 + 61, "1 dia e 1 h 1 min"],
  ])("%i minutes read as %s", (minutes, expected) => {
    expect(describeMinutes(minutes)).toBe(expected);
  });
});

describe("localizeInstants", () => {
  it("writes each instant of a server text in the reader's zone", () => {
    expect(localizeInstants("remarcada para 2026-12-06T13:30:00Z", "America/Sao_Paulo"))
      .toBe("remarcada para domingo, 6 de dezembro de 2026 às 10:30");
    expect(localizeInstants("de 2026-12-06T13:30Z a 2026-12-07T09:00:00-03:00", "America/Sao_Paulo"))
      .toBe("de domingo, 6 de dezembro de 2026 às 10:30 a segunda-feira, 7 de dezembro de 2026 às 09:00");
  });

  it("leaves a text without instants as it is", () => {
    expect(localizeInstants("Paciente pediu, 2026 é o ano", "America/Sao_Paulo")).toBe("Paciente pediu, 2026 é o ano");
  });
});
