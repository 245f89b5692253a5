/** Word wrapping to terminal cells. Pure, so the story pane can cache lines per turn and width. */

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

export function cellWidth(text: string): number {
  let n = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0x300 && cp <= 0x36f) || cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f)) continue;
    n += isWide(cp) ? 2 : 1;
  }
  return n;
}

/** Splits one paragraph into lines of at most `width` cells, breaking at spaces and hard-breaking long words. */
function wrapParagraph(text: string, width: number): string[] {
  if (text === '') return [''];
  const lines: string[] = [];
  let line = '';
  let lineW = 0;
  for (const word of text.split(/(\s+)/)) {
    if (word === '') continue;
    const isSpace = /^\s+$/.test(word);
    const w = cellWidth(word);
    if (isSpace) {
      if (lineW > 0 && lineW + w <= width) {
        line += word;
        lineW += w;
      } else if (lineW > 0) {
        lines.push(line.trimEnd());
        line = '';
        lineW = 0;
      }
      continue;
    }
    if (lineW + w <= width) {
      line += word;
      lineW += w;
      continue;
    }
    if (lineW > 0) {
      lines.push(line.trimEnd());
      line = '';
      lineW = 0;
    }
    if (w <= width) {
      line = word;
      lineW = w;
      continue;
    }
    for (const ch of word) {
      const cw = cellWidth(ch);
      if (lineW + cw > width && lineW > 0) {
        lines.push(line);
        line = '';
        lineW = 0;
      }
      line += ch;
      lineW += cw;
    }
  }
  if (line !== '' || lines.length === 0) lines.push(line.trimEnd());
  return lines;
}

export function wrapText(text: string, width: number): string[] {
  const w = Math.max(1, Math.floor(width));
  return text.replace(/\r\n?/g, '\n').split('\n').flatMap((p) => wrapParagraph(p.replace(/\t/g, '  '), w));
}

/** Pads or cuts a line to exactly `width` cells (status bar, side panel). */
export function fitWidth(text: string, width: number): string {
  let out = '';
  let n = 0;
  for (const ch of text) {
    const cw = cellWidth(ch);
    if (n + cw > width) break;
    out += ch;
    n += cw;
  }
  return out + ' '.repeat(Math.max(0, width - n));
}

/** Cuts `text` to at most `width` terminal cells (wide characters count two), marking a cut with "…". */
export function fitCells(text: string, width: number): string {
  if (width <= 0) return '';
  if (cellWidth(text) <= width) return text;
  let out = '';
  let n = 0;
  for (const ch of text) {
    const cw = cellWidth(ch);
    if (n + cw > width - 1) break;
    out += ch;
    n += cw;
  }
  return `${out}…`;
}
