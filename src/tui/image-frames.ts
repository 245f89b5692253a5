/** Ink's end of a synchronized update (DEC mode 2026): it writes this alone after each frame. */
export const END_SYNC = '\x1b[?2026l';

export interface ImageFrames {
  /** The stream to give Ink: every write passes through, and a frame's end carries the picture. */
  stdout: NodeJS.WriteStream;
  /** The picture's escape to redraw with every frame (null: none). */
  set(escape: string | null): void;
  /** Whether frames end in a synchronized update, so the picture rides inside them. */
  synced(): boolean;
}

/**
 * Redraws the /image panel's picture inside each of Ink's frames, just before the frame's synchronized update
 * ends. Ink rewrites the whole screen in a frame; a picture drawn after it (iTerm2's, sixel) was erased with
 * the frame and drawn again a moment later, and blinked on every key. Where Ink does not synchronize (not a
 * terminal), nothing is added and the panel draws after each frame as before.
 */
export function imageFrames(out: NodeJS.WriteStream): ImageFrames {
  let picture: string | null = null;
  let seenSync = false;
  const write = (chunk: unknown, ...rest: unknown[]): boolean => {
    if (chunk === END_SYNC) {
      seenSync = true;
      if (picture) chunk = picture + END_SYNC;
    }
    return (out.write as (...a: unknown[]) => boolean)(chunk, ...rest);
  };
  const stdout = new Proxy(out, {
    get(target, prop) {
      if (prop === 'write') return write;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    stdout,
    set: (escape) => {
      picture = escape;
    },
    synced: () => seenSync,
  };
}
