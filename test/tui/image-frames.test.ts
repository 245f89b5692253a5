import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { END_SYNC, imageFrames } from '../../src/tui/image-frames.js';

/** A stream that records what reaches the terminal, with the fields Ink reads. */
function terminal() {
  const writes: string[] = [];
  const s = new PassThrough() as unknown as NodeJS.WriteStream & { columns: number };
  s.columns = 120;
  (s as unknown as { write: (c: string) => boolean }).write = (c: string) => (writes.push(String(c)), true);
  return { s, writes };
}

describe('the /image picture rides inside Ink\'s frames', () => {
  it('puts the picture just before each frame\'s end of synchronized update, and nowhere else', () => {
    const { s, writes } = terminal();
    const f = imageFrames(s);
    expect(f.synced()).toBe(false);
    f.stdout.write('\x1b[?2026h');
    f.stdout.write('frame 1');
    f.stdout.write(END_SYNC);
    f.set('<PIC>');
    f.stdout.write('\x1b[?2026h');
    f.stdout.write('frame 2');
    f.stdout.write(END_SYNC);
    f.set(null);
    f.stdout.write(END_SYNC);
    expect(writes).toEqual(['\x1b[?2026h', 'frame 1', END_SYNC, '\x1b[?2026h', 'frame 2', `<PIC>${END_SYNC}`, END_SYNC]);
    expect(f.synced()).toBe(true);
  });

  it('passes everything else through to the real stream', () => {
    const { s } = terminal();
    const f = imageFrames(s);
    expect(f.stdout.columns).toBe(120);
    let resized = false;
    f.stdout.on('resize', () => (resized = true));
    s.emit('resize');
    expect(resized).toBe(true);
  });
});
