/**
 * Word wrapping to terminal cells. Pure, so the story pane can cache lines per turn and width. Every text the
 * TUI draws passes through wrapText, fitCells or fitWidth (or terminalLine directly), which make control
 * characters visible (src/util/terminal-text.ts): a title or prose carrying ESC [ 2 J or an OSC title
 * sequence shows it as text instead of clearing the screen, retitling the window or shifting the border.
 */
import { cellWidth, terminalLine, terminalText } from '../util/terminal-text.js';

export { cellWidth };

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
  return terminalText(text).split('\n').flatMap((p) => wrapParagraph(p.replace(/\t/g, '  '), w));
}

/** Pads or cuts a line to exactly `width` cells (status bar, side panel). */
export function fitWidth(raw: string, width: number): string {
  const text = terminalLine(raw);
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
export function fitCells(raw: string, width: number): string {
  if (width <= 0) return '';
  const text = terminalLine(raw);
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
