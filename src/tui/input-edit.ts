/**
 * The input line as a value plus cursor, with pure editing operations (unit-tested, no terminal needed).
 * The cursor is a UTF-16 index into value that always sits on a grapheme-cluster boundary: moves and
 * deletes step over whole user-perceived characters (emoji, ZWJ sequences, flags, e + combining accent).
 */
export interface InputState {
  value: string;
  /** UTF-16 offset into value, kept on a grapheme-cluster boundary. */
  cursor: number;
  history: string[];
  /** Position while browsing history (history.length = the draft being typed). */
  historyIndex: number;
  draft: string;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Start of the grapheme cluster that contains index i (i itself when it is a boundary). */
export function clusterStart(value: string, i: number): number {
  if (i <= 0) return 0;
  if (i >= value.length) return value.length;
  return graphemes.segment(value).containing(i)?.index ?? i;
}

/** End of the grapheme cluster that starts at (or contains) index i: the next boundary after i. */
export function nextBoundary(value: string, i: number): number {
  if (i >= value.length) return value.length;
  const seg = graphemes.segment(value).containing(Math.max(0, i));
  return seg ? seg.index + seg.segment.length : value.length;
}

/** The boundary before index i (the start of the cluster that ends at i). */
export function prevBoundary(value: string, i: number): number {
  if (i <= 0) return 0;
  return clusterStart(value, Math.min(i, value.length) - 1);
}

/** Moves a possibly mid-cluster index forward to the cluster's end (or leaves a boundary as it is). */
function snapForward(value: string, i: number): number {
  const start = clusterStart(value, i);
  return start === i ? i : nextBoundary(value, start);
}

/**
 * The most an entry holds. An action is what a character does next: this is pages of text, far more than the
 * Strategist and Writer budgets can use, and it bounds what one paste can cost to edit and draw.
 */
export const MAX_INPUT_CHARS = 10_000;
/** The most a one-line field (setup screen) holds: a path, a URL or a model name. */
export const MAX_FIELD_CHARS = 2_000;

/** `text` cut to at most `room` UTF-16 units without splitting a surrogate pair. */
export function cutToRoom(text: string, room: number): string {
  if (text.length <= room) return text;
  const end = Math.max(0, room);
  const code = text.charCodeAt(end - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? end - 1 : end);
}

/** True when the entry is full: what was typed or pasted beyond MAX_INPUT_CHARS was dropped. */
export const isFull = (s: InputState, cap = MAX_INPUT_CHARS): boolean => s.value.length >= cap;

export const emptyInput = (history: string[] = []): InputState => ({ value: '', cursor: 0, history, historyIndex: history.length, draft: '' });

export function setValue(s: InputState, value: string): InputState {
  return { ...s, value, cursor: value.length };
}

/** Inserts at the cursor; what does not fit in `cap` characters is dropped. */
export function insert(s: InputState, text: string, cap = MAX_INPUT_CHARS): InputState {
  // Pasted text may carry CR line ends; keep them as newlines inside the entry.
  const t = cutToRoom(text.replace(/\r\n?/g, '\n'), cap - s.value.length);
  if (!t) return s;
  const value = s.value.slice(0, s.cursor) + t + s.value.slice(s.cursor);
  // Typed text can join the cluster after it (a letter before a combining accent): stay on a boundary.
  return { ...s, value, cursor: snapForward(value, s.cursor + t.length) };
}

/** Deletes the whole grapheme cluster before the cursor. */
export function backspace(s: InputState): InputState {
  if (s.cursor === 0) return s;
  const from = prevBoundary(s.value, s.cursor);
  return { ...s, value: s.value.slice(0, from) + s.value.slice(s.cursor), cursor: from };
}

/** Deletes the whole grapheme cluster under the cursor (the Delete key). */
export function deleteForward(s: InputState): InputState {
  if (s.cursor >= s.value.length) return s;
  return { ...s, value: s.value.slice(0, s.cursor) + s.value.slice(nextBoundary(s.value, s.cursor)) };
}

/** Moves by `by` grapheme clusters (negative: left). */
export const moveCursor = (s: InputState, by: number): InputState => {
  let cursor = s.cursor;
  for (let n = Math.abs(by); n > 0; n--) {
    const next = by < 0 ? prevBoundary(s.value, cursor) : nextBoundary(s.value, cursor);
    if (next === cursor) break;
    cursor = next;
  }
  return { ...s, cursor };
};
export const home = (s: InputState): InputState => ({ ...s, cursor: s.value.lastIndexOf('\n', s.cursor - 1) + 1 });
export const end = (s: InputState): InputState => {
  const nl = s.value.indexOf('\n', s.cursor);
  // A restored value may hold CRLF, one cluster: stop before the CR.
  return { ...s, cursor: nl === -1 ? s.value.length : clusterStart(s.value, nl) };
};

/** The cluster under the cursor ('' at the end), for drawing the cursor over a whole character. */
export const clusterAt = (s: InputState): string => s.value.slice(s.cursor, nextBoundary(s.value, s.cursor));

/**
 * Ink reports both the Backspace key's usual byte (DEL, \x7f) and the forward-Delete key (ESC [ 3 ~)
 * as key.delete, so the raw sequence tells them apart: true only for forward Delete, with or without
 * modifiers (ESC [ 3 ; m ~, rxvt ESC [ 3 $ / ^, kitty ESC [ 3 ; m : e ~, Alt as a doubled ESC).
 */
export const isForwardDelete = (raw: string): boolean => /^\x1b{1,2}\[3(?:;\d+(?::\d+)?)?[~$^]$/.test(raw);

export function historyPrev(s: InputState): InputState {
  if (s.historyIndex === 0) return s;
  const draft = s.historyIndex === s.history.length ? s.value : s.draft;
  const i = s.historyIndex - 1;
  const value = s.history[i] ?? '';
  return { ...s, historyIndex: i, draft, value, cursor: value.length };
}

export function historyNext(s: InputState): InputState {
  if (s.historyIndex >= s.history.length) return s;
  const i = s.historyIndex + 1;
  const value = i === s.history.length ? s.draft : (s.history[i] ?? '');
  return { ...s, historyIndex: i, value, cursor: value.length };
}

/**
 * Enter: a trailing backslash continues on a new line; otherwise the entry is submitted
 * (returned) and recorded in history unless it repeats the previous entry.
 */
export function enter(s: InputState): { state: InputState; submitted: string | null } {
  if (s.value.slice(0, s.cursor).endsWith('\\') && s.cursor === s.value.length) {
    return { state: { ...s, value: `${s.value.slice(0, -1)}\n`, cursor: s.value.length }, submitted: null };
  }
  const text = s.value;
  const history = text.trim() && s.history.at(-1) !== text ? [...s.history, text].slice(-500) : s.history;
  return { state: { ...emptyInput(history) }, submitted: text };
}

/**
 * Applies a chunk of typed text: a terminal may deliver several keys at once (paste, key repeat, tmux),
 * so DEL/BS characters inside it erase, other control characters are dropped, CR becomes a newline.
 */
export function typeChunk(s: InputState, chunk: string, cap = MAX_INPUT_CHARS): InputState {
  let out = s;
  let text = '';
  const flush = () => {
    if (text) out = insert(out, text, cap);
    text = '';
  };
  for (const ch of chunk) {
    if (ch === '\x7f' || ch === '\b') {
      flush();
      out = backspace(out);
    } else if (ch === '\r' || ch === '\n') text += '\n';
    else if (ch >= ' ' || ch === '\t') text += ch;
  }
  flush();
  return out;
}

/** typeChunk for single-line fields (setup screen, new-story form). */
export function typeInto(value: string, chunk: string, cap = MAX_FIELD_CHARS): string {
  return typeChunk({ ...emptyInput(), value, cursor: value.length }, chunk.replace(/[\r\n]/g, ' '), cap).value;
}

/**
 * A bracketed paste, inserted as one edit: line ends become newlines, control characters are dropped (a pasted
 * DEL is text, not Backspace), and what does not fit in `cap` is cut. `cut` says whether anything was dropped.
 */
export function paste(s: InputState, text: string, cap = MAX_INPUT_CHARS): { state: InputState; cut: boolean } {
  const clean = text.replace(/\r\n?/g, '\n').replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '');
  const state = insert(s, clean, cap);
  return { state, cut: state.value.length - s.value.length < clean.length };
}
