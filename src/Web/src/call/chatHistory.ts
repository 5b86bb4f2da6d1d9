/** A chat line as the hub sends it (the Chat event and the chat of a join's answer). */
export interface ChatLine {
  at: string;
  fromUserId: string;
  text: string;
}

/** A line on screen; a local one is this tab's echo of what it sent, until the server's copy replaces it. */
export interface ShownLine extends ChatLine {
  local: boolean;
}

/**
 * The chat on screen. The Chat event reaches only connections that are in the room, so lines written while this tab
 * was not (before it joined, while reconnecting, before a reload) come with the answer of the next join: they are
 * merged in time order, once each, and this tab's own echoes give way to the server's copies of them.
 */
export class ChatHistory {
  private shown: ShownLine[] = [];
  private readonly keys = new Set<string>();

  get lines(): readonly ShownLine[] {
    return this.shown;
  }

  /** A line from the Chat event. Returns "appended" when it goes at the end, "none" when it was shown already. */
  add(line: ChatLine): "appended" | "none" {
    if (!this.remember(line)) return "none";
    this.shown.push({ ...line, local: false });
    return "appended";
  }

  /** What this tab sent, shown at once. */
  addLocal(line: ChatLine): void {
    this.shown.push({ ...line, local: true });
  }

  /** The chat of a join's answer: the whole list is then to be shown again. */
  merge(lines: readonly ChatLine[]): void {
    const kept = this.shown.filter((l) => !l.local);
    for (const line of lines) {
      if (this.remember(line)) kept.push({ ...line, local: false });
    }
    // Stable: lines of one millisecond keep the order they came in.
    this.shown = kept.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  }

  private remember(line: ChatLine): boolean {
    const key = `${line.at}\u0000${line.fromUserId}\u0000${line.text}`;
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    return true;
  }
}
