/** The input line as a value plus cursor, with pure editing operations (unit-tested, no terminal needed). */
export interface InputState {
  value: string;
  cursor: number;
  history: string[];
  /** Position while browsing history (history.length = the draft being typed). */
  historyIndex: number;
  draft: string;
}

export const emptyInput = (history: string[] = []): InputState => ({ value: '', cursor: 0, history, historyIndex: history.length, draft: '' });

export function setValue(s: InputState, value: string): InputState {
  return { ...s, value, cursor: value.length };
}

export function insert(s: InputState, text: string): InputState {
  // Pasted text may carry CR line ends; keep them as newlines inside the entry.
  const t = text.replace(/\r\n?/g, '\n');
  return { ...s, value: s.value.slice(0, s.cursor) + t + s.value.slice(s.cursor), cursor: s.cursor + t.length };
}

export function backspace(s: InputState): InputState {
  if (s.cursor === 0) return s;
  return { ...s, value: s.value.slice(0, s.cursor - 1) + s.value.slice(s.cursor), cursor: s.cursor - 1 };
}

export function deleteForward(s: InputState): InputState {
  return s.cursor >= s.value.length ? s : { ...s, value: s.value.slice(0, s.cursor) + s.value.slice(s.cursor + 1) };
}

export const moveCursor = (s: InputState, by: number): InputState => ({ ...s, cursor: Math.max(0, Math.min(s.value.length, s.cursor + by)) });
export const home = (s: InputState): InputState => ({ ...s, cursor: s.value.lastIndexOf('\n', s.cursor - 1) + 1 });
export const end = (s: InputState): InputState => {
  const nl = s.value.indexOf('\n', s.cursor);
  return { ...s, cursor: nl === -1 ? s.value.length : nl };
};

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
export function typeChunk(s: InputState, chunk: string): InputState {
  let out = s;
  let text = '';
  const flush = () => {
    if (text) out = insert(out, text);
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
export function typeInto(value: string, chunk: string): string {
  return typeChunk({ ...emptyInput(), value, cursor: value.length }, chunk.replace(/[\r\n]/g, ' ')).value;
}
