import { sixelImage } from './sixel.js';

/**
 * Inline images in the terminal: kitty's graphics protocol (kitty, WezTerm, Ghostty, Konsole) and iTerm2's
 * inline images (iTerm2, WezTerm, mintty) take the PNG as it is; sixel (foot, mlterm, Windows Terminal,
 * contour, xterm started with it) takes pixels, so the PNG is decoded, scaled and quantised (src/tui/sixel.ts).
 */

export type ImageProtocol = 'kitty' | 'iterm2' | 'sixel';

/**
 * Which protocol the terminal speaks, from what it tells its programs; null: none we know, or output is not
 * a terminal at all (a pipe, a file, a test): escapes must never reach those. LUNA_INLINE_IMAGES=0 turns it
 * off, =kitty / =iterm2 / =sixel forces one (a terminal that speaks it but does not say so: tmux with
 * passthrough, xterm started with sixel, which no variable reveals). NO_COLOR is about colour, not pictures.
 *
 * Only the environment is read, never a query such as DA1 (`ESC [ c`, whose reply lists 4 for sixel): the reply
 * comes back on stdin, which Ink reads, so a reply that arrives late (ssh, a busy terminal) or never would
 * reach the prompt as typed keys, or stall start-up waiting for it.
 */
export function detectImageProtocol(env: NodeJS.ProcessEnv, stream: { isTTY?: boolean }): ImageProtocol | null {
  if (!stream.isTTY) return null;
  const force = env.LUNA_INLINE_IMAGES?.toLowerCase();
  if (force === '0' || force === 'off' || force === 'false' || force === 'no') return null;
  if (force === 'kitty' || force === 'iterm2' || force === 'sixel') return force;
  if (env.TERM === 'dumb') return null;
  // tmux and screen swallow both protocols unless passthrough is set up: the path is the safe answer there.
  if (env.TMUX || env.TERM?.startsWith('screen') || env.TERM?.startsWith('tmux')) return null;
  if (env.KITTY_WINDOW_ID || env.KITTY_PID || env.TERM === 'xterm-kitty' || env.TERM === 'xterm-ghostty' || env.TERM_PROGRAM === 'ghostty' || env.GHOSTTY_RESOURCES_DIR) return 'kitty';
  // Konsole speaks kitty's protocol (PNG payloads) from 22.04 on (KONSOLE_VERSION 220400).
  if (Number(env.KONSOLE_VERSION) >= 220400) return 'kitty';
  // WezTerm and mintty speak sixel too, but iTerm2's protocol sends the PNG as it is and lets them scale it.
  if (env.TERM_PROGRAM === 'iTerm.app' || env.LC_TERMINAL === 'iTerm2' || env.TERM_PROGRAM === 'WezTerm' || env.WEZTERM_PANE || env.TERM_PROGRAM === 'mintty') return 'iterm2';
  // foot (TERM=foot, foot-direct), mlterm (MLTERM holds its version), contour, Windows Terminal (WT_SESSION, 1.22+)
  const term = env.TERM ?? '';
  if (term.startsWith('foot') || term.startsWith('mlterm') || env.MLTERM || term.startsWith('contour') || env.TERM_PROGRAM?.toLowerCase() === 'contour' || env.WT_SESSION) return 'sixel';
  return null;
}

const KITTY_CHUNK = 4096;

/**
 * kitty: `ESC _ G f=100,a=T,t=d,c=COLS,r=ROWS,q=2,m=1 ; <base64> ESC \`, the payload cut into 4096-byte chunks
 * (all but the last with m=1; continuation chunks carry only m). f=100 is PNG; c/r scale it into that many
 * cells; q=2 keeps the terminal from answering on stdin, where the answer would arrive as typed keys.
 */
export function kittyImage(png: Buffer, cells: { cols: number; rows: number }): string {
  const b64 = png.toString('base64');
  const chunks: string[] = [];
  for (let i = 0; i < b64.length; i += KITTY_CHUNK) chunks.push(b64.slice(i, i + KITTY_CHUNK));
  if (!chunks.length) chunks.push('');
  return chunks
    .map((c, i) => {
      const more = i < chunks.length - 1 ? 1 : 0;
      const keys = i === 0 ? `f=100,a=T,t=d,c=${cells.cols},r=${cells.rows},q=2,m=${more}` : `m=${more}`;
      return `\x1b_G${keys};${c}\x1b\\`;
    })
    .join('');
}

/** kitty: delete every image placement on screen (closing the panel that showed one). */
export const KITTY_DELETE_ALL = '\x1b_Ga=d,d=A,q=2\x1b\\';

/**
 * iTerm2: `ESC ] 1337 ; File=inline=1;size=N;width=COLS;height=ROWS;preserveAspectRatio=1 : <base64> BEL`,
 * the whole file in one sequence (iTerm2 and WezTerm take up to several MB).
 */
export function iterm2Image(png: Buffer, cells: { cols: number; rows: number }, name = 'image.png'): string {
  const n = Buffer.from(name).toString('base64');
  return `\x1b]1337;File=name=${n};inline=1;size=${png.length};width=${cells.cols};height=${cells.rows};preserveAspectRatio=1:${png.toString('base64')}\x07`;
}

/** The escape that draws the PNG in that many cells; null when it cannot be drawn (sixel: not a PNG it can decode). */
export function encodeImage(protocol: ImageProtocol, png: Buffer, cells: { cols: number; rows: number }): string | null {
  if (protocol === 'kitty') return kittyImage(png, cells);
  if (protocol === 'iterm2') return iterm2Image(png, cells);
  return sixelImage(png, cells);
}

/**
 * Draws at a cell (1-based row and column) without moving the cursor as the UI knows it: save (ESC 7), move
 * (CSI row;col H), draw, restore (ESC 8). The UI keeps those cells blank, so its next frame does not fight it.
 */
export function placeAt(row: number, col: number, escape: string): string {
  return `\x1b7\x1b[${Math.max(1, Math.round(row))};${Math.max(1, Math.round(col))}H${escape}\x1b8`;
}

/**
 * The cells an image of width x height pixels takes inside a box of maxCols x maxRows, keeping its aspect
 * ratio with a terminal cell about twice as tall as wide.
 */
export function fitCells(width: number | null, height: number | null, maxCols: number, maxRows: number): { cols: number; rows: number } {
  const cols = Math.max(1, Math.floor(maxCols));
  const rows = Math.max(1, Math.floor(maxRows));
  if (!width || !height) return { cols, rows };
  const aspect = height / width / 2; // rows per column
  if (cols * aspect <= rows) return { cols, rows: Math.max(1, Math.round(cols * aspect)) };
  return { cols: Math.max(1, Math.round(rows / aspect)), rows };
}
