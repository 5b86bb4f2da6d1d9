import { describe, expect, it } from "vitest";
import { latestOnly } from "./latest";

describe("latestOnly", () => {
  it("lets only the turn taken last write, whichever answer arrives first", () => {
    const turn = latestOnly();
    const first = turn();
    const second = turn();
    expect(first()).toBe(false);
    expect(second()).toBe(true);
  });

  it("keeps a turn current until another is taken", () => {
    const turn = latestOnly();
    const only = turn();
    expect(only()).toBe(true);
    expect(only()).toBe(true);
    turn();
    expect(only()).toBe(false);
  });

  it("gives each list its own turns", () => {
    const doctors = latestOnly();
    const slots = latestOnly();
    const search = doctors();
    slots();
    expect(search()).toBe(true);
  });

  it("orders out-of-order answers: the earlier request's late answer is dropped", async () => {
    const turn = latestOnly();
    const shown: string[] = [];
    const load = async (value: string, delay: number) => {
      const current = turn();
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (current()) shown.push(value);
    };
    await Promise.all([load("médico A", 30), load("médico B", 5)]);
    expect(shown).toEqual(["médico B"]);
  });
});
