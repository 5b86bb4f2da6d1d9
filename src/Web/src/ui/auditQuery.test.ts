import { describe, expect, it } from "vitest";
import { auditQuery, dayStart, isUserId } from "./auditQuery";

const none = { subject: "", actor: "", action: "", fromDate: "", toDate: "" };

describe("auditQuery", () => {
  it("leaves empty filters out and the first page implicit", () => {
    expect(auditQuery(none).toString()).toBe("");
  });

  it("passes ids (trimmed) and the action as given, and later pages", () => {
    const query = auditQuery({ ...none, subject: " 0199aa00-0000-7000-8000-000000000001 ", actor: "0199aa00-0000-7000-8000-000000000002", action: "read" }, 3);
    expect(query.get("subject")).toBe("0199aa00-0000-7000-8000-000000000001");
    expect(query.get("actor")).toBe("0199aa00-0000-7000-8000-000000000002");
    expect(query.get("action")).toBe("read");
    expect(query.get("page")).toBe("3");
  });

  it("takes whole days in the browser's zone, the last one included", () => {
    const query = auditQuery({ ...none, fromDate: "2026-03-10", toDate: "2026-03-12" });
    const from = new Date(query.get("from")!);
    const to = new Date(query.get("to")!);
    expect([from.getFullYear(), from.getMonth(), from.getDate(), from.getHours(), from.getMinutes()]).toEqual([2026, 2, 10, 0, 0]);
    // The API's end is exclusive: the midnight after the 12th, so the 12th's entries are in.
    expect([to.getFullYear(), to.getMonth(), to.getDate(), to.getHours()]).toEqual([2026, 2, 13, 0]);
  });

  it("crosses month and year ends", () => {
    const next = dayStart("2026-12-31", 1);
    expect([next.getFullYear(), next.getMonth(), next.getDate()]).toEqual([2027, 0, 1]);
  });
});

describe("isUserId", () => {
  it("takes an account id, in either case and with spaces around it, and nothing else", () => {
    expect(isUserId("0199aa00-0000-7000-8000-000000000001")).toBe(true);
    expect(isUserId(" 0199AA00-0000-7000-8000-00000000000F ")).toBe(true);
    expect(isUserId("ana@example.com")).toBe(false);
    expect(isUserId("Ana Souza")).toBe(false);
    expect(isUserId("0199aa00-0000-7000-8000-00000000001")).toBe(false);
    expect(isUserId("")).toBe(false);
  });
});
