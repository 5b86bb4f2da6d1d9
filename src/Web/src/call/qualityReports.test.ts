import { describe, expect, it } from "vitest";
import { QualityReports } from "./qualityReports";

describe("QualityReports", () => {
  it("sends the first report, then at most one a minute", async () => {
    let now = 1_000;
    const sent: number[] = [];
    const reports = new QualityReports<number>(async (r) => void sent.push(r), 60_000, () => now);
    expect(await reports.offer(1, false)).toBe(true);
    now += 5_000;
    expect(await reports.offer(2, false)).toBe(false);
    now += 55_000;
    expect(await reports.offer(3, false)).toBe(true);
    expect(sent).toEqual([1, 3]);
  });

  it("offers a failed report again at the next measurement, not a minute later", async () => {
    let now = 1_000;
    let fail = true;
    const sent: number[] = [];
    const reports = new QualityReports<number>(async (r) => {
      if (fail) throw new Error("503");
      sent.push(r);
    }, 60_000, () => now);
    await expect(reports.offer(1, false)).rejects.toThrow("503");
    now += 5_000;
    fail = false;
    expect(await reports.offer(2, false)).toBe(true);
    expect(sent).toEqual([2]);
  });

  it("a forced report (the call ends) is sent even right after another", async () => {
    let now = 1_000;
    const sent: number[] = [];
    const reports = new QualityReports<number>(async (r) => void sent.push(r), 60_000, () => now);
    await reports.offer(1, false);
    now += 1_000;
    expect(await reports.offer(2, true)).toBe(true);
    expect(sent).toEqual([1, 2]);
  });
});
