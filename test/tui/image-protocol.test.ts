import { describe, expect, it } from 'vitest';
import { detectImageProtocol, fitCells, iterm2Image, kittyImage, KITTY_DELETE_ALL, placeAt } from '../../src/tui/image-protocol.js';
import { makePng } from '../helpers/comfyui-fake.js';

const tty = { isTTY: true };

describe('terminal image protocols', () => {
  it('kitty: APC G chunks of at most 4096 base64 bytes, keys on the first, m=1 on all but the last, q=2 so nothing answers on stdin', () => {
    const png = makePng(120, 90, [1, 2, 3]);
    // Incompressible enough to need several chunks: random bytes behind a real PNG signature.
    const big = Buffer.concat([png, Buffer.from(Array.from({ length: 9000 }, (_, i) => (i * 7919) % 251))]);
    const out = kittyImage(big, { cols: 40, rows: 12 });
    const chunks = out.match(/\x1b_G[^;]*;[A-Za-z0-9+/=]*\x1b\\/g)!;
    expect(chunks.join('')).toBe(out);
    expect(chunks.length).toBe(Math.ceil(big.toString('base64').length / 4096));
    expect(chunks[0]!.startsWith('\x1b_Gf=100,a=T,t=d,c=40,r=12,q=2,m=1;')).toBe(true);
    for (const c of chunks.slice(1, -1)) expect(c.startsWith('\x1b_Gm=1;')).toBe(true);
    expect(chunks.at(-1)!.startsWith('\x1b_Gm=0;')).toBe(true);
    const payload = chunks.map((c) => c.slice(c.indexOf(';') + 1, -2)).join('');
    expect(Buffer.from(payload, 'base64').equals(big)).toBe(true);
    for (const c of chunks) expect(c.slice(c.indexOf(';') + 1, -2).length).toBeLessThanOrEqual(4096);
    // a small image is one chunk with m=0
    expect(kittyImage(png, { cols: 4, rows: 2 })).toBe(`\x1b_Gf=100,a=T,t=d,c=4,r=2,q=2,m=0;${png.toString('base64')}\x1b\\`);
    expect(KITTY_DELETE_ALL).toBe('\x1b_Ga=d,d=A,q=2\x1b\\');
  });

  it('iTerm2: one OSC 1337 File= sequence with size, cell width/height, ended by BEL', () => {
    const png = makePng(4, 4);
    expect(iterm2Image(png, { cols: 20, rows: 10 }, 'turn.png')).toBe(
      `\x1b]1337;File=name=${Buffer.from('turn.png').toString('base64')};inline=1;size=${png.length};width=20;height=10;preserveAspectRatio=1:${png.toString('base64')}\x07`,
    );
  });

  it('placeAt saves the cursor, moves to row;col, draws, restores', () => {
    expect(placeAt(7, 3, 'X')).toBe('\x1b7\x1b[7;3HX\x1b8');
    expect(placeAt(0, -2, 'X')).toBe('\x1b7\x1b[1;1HX\x1b8');
  });

  it('fits the picture into the box keeping its shape (a cell is about twice as tall as wide)', () => {
    expect(fitCells(512, 512, 80, 20)).toEqual({ cols: 40, rows: 20 });
    expect(fitCells(1024, 256, 40, 20)).toEqual({ cols: 40, rows: 5 });
    expect(fitCells(null, null, 30, 8)).toEqual({ cols: 30, rows: 8 });
  });

  it('detects the protocol (kitty, iTerm2, sixel) from the environment, and never for a pipe, dumb terminal, tmux, or LUNA_INLINE_IMAGES=0', () => {
    expect(detectImageProtocol({ KITTY_WINDOW_ID: '1' }, tty)).toBe('kitty');
    expect(detectImageProtocol({ TERM: 'xterm-kitty' }, tty)).toBe('kitty');
    expect(detectImageProtocol({ KONSOLE_VERSION: '230805', TERM: 'xterm-256color' }, tty)).toBe('kitty');
    expect(detectImageProtocol({ KONSOLE_VERSION: '211200', TERM: 'xterm-256color' }, tty)).toBeNull();
    expect(detectImageProtocol({ GHOSTTY_RESOURCES_DIR: '/usr/share/ghostty', TERM: 'xterm-256color' }, tty)).toBe('kitty');
    expect(detectImageProtocol({ WEZTERM_PANE: '0', TERM: 'xterm-256color' }, tty)).toBe('iterm2');
    expect(detectImageProtocol({ TERM_PROGRAM: 'iTerm.app' }, tty)).toBe('iterm2');
    expect(detectImageProtocol({ LC_TERMINAL: 'iTerm2' }, tty)).toBe('iterm2');
    expect(detectImageProtocol({ TERM_PROGRAM: 'WezTerm' }, tty)).toBe('iterm2');
    expect(detectImageProtocol({ TERM: 'xterm-256color' }, tty)).toBeNull();
    expect(detectImageProtocol({ KITTY_WINDOW_ID: '1' }, { isTTY: false })).toBeNull();
    expect(detectImageProtocol({ KITTY_WINDOW_ID: '1' }, {})).toBeNull();
    expect(detectImageProtocol({ KITTY_WINDOW_ID: '1', TMUX: '/tmp/tmux-1/default,1,0' }, tty)).toBeNull();
    expect(detectImageProtocol({ TERM_PROGRAM: 'iTerm.app', LUNA_INLINE_IMAGES: '0' }, tty)).toBeNull();
    expect(detectImageProtocol({ TERM: 'screen', LUNA_INLINE_IMAGES: 'kitty' }, tty)).toBe('kitty');
    expect(detectImageProtocol({ LUNA_INLINE_IMAGES: 'iterm2' }, { isTTY: false })).toBeNull();
    // sixel: foot, mlterm, contour, Windows Terminal; WezTerm and mintty speak it too but keep iTerm2's PNG
    expect(detectImageProtocol({ TERM: 'foot' }, tty)).toBe('sixel');
    expect(detectImageProtocol({ TERM: 'foot-extra' }, tty)).toBe('sixel');
    expect(detectImageProtocol({ TERM: 'mlterm' }, tty)).toBe('sixel');
    expect(detectImageProtocol({ TERM: 'xterm', MLTERM: '3.9.3' }, tty)).toBe('sixel');
    expect(detectImageProtocol({ TERM: 'contour' }, tty)).toBe('sixel');
    expect(detectImageProtocol({ TERM: 'xterm-256color', WT_SESSION: '0f7c2e2a-1b9e-4a52-9d6e-5d0f6b1f0c11' }, tty)).toBe('sixel');
    expect(detectImageProtocol({ TERM_PROGRAM: 'WezTerm', TERM: 'xterm-256color', WT_SESSION: 'x' }, tty)).toBe('iterm2');
    expect(detectImageProtocol({ TERM_PROGRAM: 'mintty', TERM: 'xterm' }, tty)).toBe('iterm2');
    // xterm says nothing about having been started with sixel: only the override turns it on
    expect(detectImageProtocol({ TERM: 'xterm' }, tty)).toBeNull();
    expect(detectImageProtocol({ TERM: 'xterm', LUNA_INLINE_IMAGES: 'SIXEL' }, tty)).toBe('sixel');
    // tmux 3.3 has no sixel: the path, unless forced (tmux 3.4 built with sixel)
    expect(detectImageProtocol({ TERM: 'foot', TMUX: '/tmp/tmux-1/default,1,0' }, tty)).toBeNull();
    expect(detectImageProtocol({ TERM: 'tmux-256color', TMUX: '/tmp/tmux-1/default,1,0', LUNA_INLINE_IMAGES: 'sixel' }, tty)).toBe('sixel');
    expect(detectImageProtocol({ TERM: 'foot', LUNA_INLINE_IMAGES: 'off' }, tty)).toBeNull();
    expect(detectImageProtocol({ TERM: 'foot' }, { isTTY: false })).toBeNull();
    // colour preferences do not decide pictures
    expect(detectImageProtocol({ KITTY_WINDOW_ID: '1', NO_COLOR: '1' }, tty)).toBe('kitty');
  });
});
