/**
 * Text from stories, models, imported files and servers, made safe to print on a terminal.
 *
 * A terminal obeys control characters wherever they appear: ESC [ 2 J clears the screen, OSC 0 (ESC ] 0 ; …
 * BEL) retitles the window, a C1 CSI (U+009B) starts a sequence on its own, BEL rings, CR moves the cursor
 * back over what was written. None of that may come from a story. Every renderer (the TUI, `luna turn`'s
 * plain output, CLI tables) passes such text through `terminalText` or `terminalLine` before writing it.
 * `--json` output needs none of this: JSON escaping already makes it inert, and it must stay exact.
 *
 * What is replaced, one visible character for each control character (so nothing is silently lost):
 * - C0 controls U+0000–U+001F → the Control Pictures block U+2400–U+241F (ESC → "␛", BEL → "␇", NUL → "␀");
 * - DEL U+007F → "␡";
 * - C1 controls U+0080–U+009F → "␛" and the 7-bit character the terminal reads them as (U+009B CSI → "␛[",
 *   U+009D OSC → "␛]"), which is exactly the sequence they would have started.
 * Newlines and tabs are kept by `terminalText` (multi-line text: prose, panels) and become "␤" and a space in
 * `terminalLine` (one row: titles, names, table cells). CRLF and a lone CR are read as newlines where newlines
 * are kept. Everything else, wide characters, emoji, ZWJ sequences and combining marks included, is untouched.
 */

/** Any character that `terminalText` would replace (newline and tab aside). Cheap to test first. */
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
const CONTROLS_ALL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
const LINE_CONTROLS = /[\x00-\x1f\x7f-\x9f]/;
const LINE_CONTROLS_ALL = /[\x00-\x1f\x7f-\x9f]/g;

/** The visible stand-in for one control character. */
export function controlPicture(ch: string): string {
  const cp = ch.charCodeAt(0);
  if (cp < 0x20) return String.fromCharCode(0x2400 + cp);
  if (cp === 0x7f) return '\u2421';
  if (cp >= 0x80 && cp <= 0x9f) return `\u241b${String.fromCharCode(cp - 0x40)}`;
  return ch;
}

/** True when `text` holds a character a terminal would act on (other than newline and tab). */
export function hasTerminalControls(text: string): boolean {
  return CONTROLS.test(text.replace(/\r\n/g, '\n'));
}

/** Multi-line text for a terminal: keeps newlines (CRLF and lone CR become "\n") and tabs; other controls become visible. */
export function terminalText(text: string): string {
  if (!CONTROLS.test(text)) return text;
  return text.replace(/\r\n?/g, '\n').replace(CONTROLS_ALL, controlPicture);
}

/** One row of text for a terminal: a newline shows as "␤", a tab as a space, other controls as in `terminalText`. */
export function terminalLine(text: string): string {
  if (!LINE_CONTROLS.test(text)) return text;
  return text.replace(/\r\n?|\n/g, '\u2424').replace(/\t/g, ' ').replace(LINE_CONTROLS_ALL, controlPicture);
}

/**
 * `terminalText` for text that arrives in pieces (streamed prose): a CR at the end of one piece may be the first
 * half of a CRLF, so it is held back until the next piece (or `end()`) says which it was.
 */
export function terminalTextStream(): { push(piece: string): string; end(): string } {
  let heldCr = false;
  return {
    push(piece: string): string {
      let text = heldCr ? `\r${piece}` : piece;
      heldCr = text.endsWith('\r');
      if (heldCr) text = text.slice(0, -1);
      return terminalText(text);
    },
    end(): string {
      const out = heldCr ? '\n' : '';
      heldCr = false;
      return out;
    },
  };
}

function isWide(cp: number): boolean {
  // East Asian wide/fullwidth ranges and emoji take two cells in every common terminal.
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/** Terminal cells `text` takes: wide (East Asian, emoji) characters two, combining marks, joiners and controls none. */
export function cellWidth(text: string): number {
  let n = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0x300 && cp <= 0x36f) || cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f)) continue;
    n += isWide(cp) ? 2 : 1;
  }
  return n;
}
