import { describe, expect, it } from "vitest";
import { characterCount, chatWithin } from "./text";

describe("characterCount", () => {
  it("counts an emoji, a flag and a combined accent as one character each", () => {
    expect(characterCount("a😀🇧🇷e\u0301")).toBe(4);
  });
});

describe("chatWithin", () => {
  it("takes 2,000 emoji, which an input's maxlength of 2,000 UTF-16 units cut at 1,000", () => {
    expect(chatWithin("😀".repeat(2000), 2000)).toBe(true);
    expect(chatWithin("😀".repeat(2001), 2000)).toBe(false);
  });

  it("refuses a character longer than 8 bytes of UTF-8 on average, as the server does", () => {
    // A family emoji is one character of 25 bytes.
    expect(chatWithin("👨‍👩‍👧‍👦".repeat(1000), 2000)).toBe(false);
    expect(chatWithin("a".repeat(2000), 2000)).toBe(true);
    expect(chatWithin("a".repeat(2001), 2000)).toBe(false);
  });
});
