import { describe, expect, it } from "vitest";
import { ChatHistory } from "./chatHistory";

const doctor = "d";
const patient = "p";

describe("ChatHistory", () => {
  it("shows the lines written before this tab joined, from the join's answer", () => {
    const chat = new ChatHistory();
    chat.merge([
      { at: "2026-12-05T20:00:01.000+00:00", fromUserId: patient, text: "Já estou na sala." },
      { at: "2026-12-05T20:00:02.000+00:00", fromUserId: patient, text: "Pode me ouvir?" },
    ]);
    expect(chat.lines.map((l) => l.text)).toEqual(["Já estou na sala.", "Pode me ouvir?"]);
  });

  it("shows a line once when it comes both as an event and in a join's answer", () => {
    const chat = new ChatHistory();
    const line = { at: "2026-12-05T20:00:01.000+00:00", fromUserId: doctor, text: "Olá" };
    expect(chat.add(line)).toBe("appended");
    chat.merge([line]);
    expect(chat.add(line)).toBe("none");
    expect(chat.lines).toHaveLength(1);
  });

  it("keeps two equal lines written at different times", () => {
    const chat = new ChatHistory();
    chat.add({ at: "2026-12-05T20:00:01.000+00:00", fromUserId: doctor, text: "ok" });
    chat.add({ at: "2026-12-05T20:00:05.000+00:00", fromUserId: doctor, text: "ok" });
    expect(chat.lines).toHaveLength(2);
  });

  it("puts lines missed while reconnecting in time order, and replaces this tab's echoes with the server's copies", () => {
    const chat = new ChatHistory();
    chat.add({ at: "2026-12-05T20:00:01.000+00:00", fromUserId: doctor, text: "Olá" });
    chat.addLocal({ at: "2026-12-05T20:00:02.500Z", fromUserId: patient, text: "Oi, doutora" });
    chat.add({ at: "2026-12-05T20:00:09.000+00:00", fromUserId: doctor, text: "Está me vendo?" });
    chat.merge([
      { at: "2026-12-05T20:00:01.000+00:00", fromUserId: doctor, text: "Olá" },
      { at: "2026-12-05T20:00:02.400+00:00", fromUserId: patient, text: "Oi, doutora" },
      { at: "2026-12-05T20:00:04.000+00:00", fromUserId: doctor, text: "Vou pedir um exame." },
    ]);
    expect(chat.lines.map((l) => [l.text, l.local])).toEqual([
      ["Olá", false],
      ["Oi, doutora", false],
      ["Vou pedir um exame.", false],
      ["Está me vendo?", false],
    ]);
  });
});
