const graphemes = new Intl.Segmenter("pt-BR", { granularity: "grapheme" });
const utf8 = new TextEncoder();

/** Characters as a reader counts them (grapheme clusters): an emoji or an accented letter is one, as on the server. */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of graphemes.segment(text)) count++;
  return count;
}

/**
 * The hub's chat limit (ConsultationHub.ChatWithin): at most <max> characters as a reader counts them, and at most 8
 * bytes of UTF-8 per character. An input's maxlength counts UTF-16 units and stopped at 1,000 emoji.
 */
export function chatWithin(text: string, max: number): boolean {
  if (text.length <= max) return true;
  return characterCount(text) <= max && utf8.encode(text).length <= max * 8;
}
