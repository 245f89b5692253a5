import { useStdin } from 'ink';
import { type MutableRefObject, useEffect, useRef } from 'react';

/**
 * Bracketed paste (DEC mode 2004, turned on by launch.tsx): the terminal wraps pasted text in ESC [ 200 ~ …
 * ESC [ 201 ~. Ink splits its input into events (text runs, and each escape sequence on its own), so a paste
 * arrives as the start marker, any number of events, and the end marker. The reader gathers them and hands
 * the whole paste over once, as one edit: a 200 KB paste is one insert and one redraw, not thousands, and
 * keys inside it (a pasted Ctrl-D, Enter or Esc) are text, never commands.
 */
export const PASTE_START = '\x1b[200~';
export const PASTE_END = '\x1b[201~';

export interface PasteReader {
  /** Feeds one input event. `consumed`: the event is part of a paste; `paste`: the paste that just ended. */
  feed(event: string): { consumed: boolean; paste?: { text: string; cut: boolean } };
}

/** Keeps at most `cap` characters of a paste (the rest is only counted as cut), so memory stays bounded too. */
export function createPasteReader(cap: number): PasteReader {
  let parts: string[] | null = null;
  let size = 0;
  let cut = false;
  return {
    feed(event) {
      if (parts === null) {
        if (event !== PASTE_START) return { consumed: false };
        parts = [];
        size = 0;
        cut = false;
        return { consumed: true };
      }
      if (event === PASTE_END) {
        const text = parts.join('');
        parts = null;
        return { consumed: true, paste: { text, cut } };
      }
      if (size >= cap) cut = true;
      else {
        const piece = event.length > cap - size ? event.slice(0, cap - size) : event;
        cut ||= piece.length < event.length;
        parts.push(piece);
        size += piece.length;
      }
      return { consumed: true };
    },
  };
}

/**
 * Reads bracketed pastes from Ink's input. Its listener runs before every useInput handler (prepended), and the
 * returned ref is true while the current event belongs to a paste: handlers return at once when it is set.
 * It listens from mount, whatever `isActive` says, so a paste arriving just as a screen opens is still read as
 * one; only an active reader hands the paste on. `cap` bounds what is kept (the caller cuts to what still fits
 * and says so).
 */
export function usePaste(onPaste: (text: string, cut: boolean) => void, opts: { isActive: boolean; cap: number }): MutableRefObject<boolean> {
  const { internal_eventEmitter: events } = useStdin();
  const swallow = useRef(false);
  const handler = useRef(onPaste);
  handler.current = onPaste;
  const active = useRef(opts.isActive);
  active.current = opts.isActive;
  useEffect(() => {
    if (!events) return;
    const reader = createPasteReader(opts.cap);
    const onInput = (data: string) => {
      const r = reader.feed(data);
      swallow.current = r.consumed;
      if (r.paste && active.current) handler.current(r.paste.text, r.paste.cut);
    };
    events.prependListener('input', onInput);
    return () => {
      events.off('input', onInput);
      swallow.current = false;
    };
  }, [events, opts.cap]);
  return swallow;
}
