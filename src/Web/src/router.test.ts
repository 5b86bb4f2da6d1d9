import { describe, expect, it } from "vitest";
import { PageSwitcher } from "./router";

const deferred = () => {
  let resolve!: (cleanup: () => void) => void;
  const promise = new Promise<() => void>((r) => (resolve = r));
  return { promise, resolve };
};

describe("PageSwitcher", () => {
  it("runs the cleanup of the page on screen when the next one is shown", async () => {
    const pages = new PageSwitcher();
    const log: string[] = [];
    await pages.show(() => () => log.push("a"));
    expect(log).toEqual([]);
    await pages.show(() => () => log.push("b"));
    expect(log).toEqual(["a"]);
    await pages.show(() => undefined);
    expect(log).toEqual(["a", "b"]);
  });

  it("cleans up a page that finishes loading after the user moved on, and keeps the cleanup of the page on screen", async () => {
    const pages = new PageSwitcher();
    const log: string[] = [];
    const agenda = deferred();
    const loadingAgenda = pages.show(() => agenda.promise);
    await pages.show(() => () => log.push("room"));
    agenda.resolve(() => log.push("agenda"));
    await loadingAgenda;
    expect(log).toEqual(["agenda"]);

    await pages.show(() => undefined);
    expect(log).toEqual(["agenda", "room"]);
  });

  it("cleans up a room left while it was still connecting, once it is ready", async () => {
    const pages = new PageSwitcher();
    const log: string[] = [];
    const room = deferred();
    const connecting = pages.show(() => room.promise);
    await pages.show(() => () => log.push("home"));
    expect(log).toEqual([]);
    room.resolve(() => log.push("room: camera off, left"));
    await connecting;
    expect(log).toEqual(["room: camera off, left"]);
  });
});
