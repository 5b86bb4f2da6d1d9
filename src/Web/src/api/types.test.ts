import { describe, expect, it } from "vitest";
import { isCallOver, type CallStatus } from "./types";

describe("isCallOver", () => {
  it("is true for every status that ends a call, false while it rings or goes on", () => {
    const all: CallStatus[] = ["ringing", "accepted", "rejected", "cancelled", "missed", "ended"];
    expect(all.filter(isCallOver)).toEqual(["rejected", "cancelled", "missed", "ended"]);
  });
});
