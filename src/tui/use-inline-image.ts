import { useEffect, useRef } from 'react';
import { clearImages, drawImage, type InlineImages } from './inline-image.js';
import type { Overlay } from './state.js';

/** Ink writes each frame a moment after React commits (it throttles): draw after that, not under it. */
const AFTER_FRAME_MS = 60;

/**
 * Draws the /image panel's picture into the rows the panel leaves blank, after every frame (a frame that
 * rewrites those rows would wipe an iTerm2 picture), and clears kitty's when the panel closes. Does nothing
 * without a protocol: a pipe, a test or a terminal that cannot show pictures only ever gets the path.
 */
export function useInlineImage(images: InlineImages | undefined, overlay: Overlay | null, box: { row: number; col: number; cols: number; rows: number }): void {
  const shown = useRef<string | null>(null);
  useEffect(() => {
    const protocol = images?.protocol;
    if (!protocol) return;
    const img = overlay?.image;
    if (!img || box.rows < 2) {
      images.frames?.set(null);
      if (shown.current) images.write(clearImages(protocol));
      shown.current = null;
      return;
    }
    const t = setTimeout(() => {
      const data = drawImage(protocol, img, box);
      images.frames?.set(data || null);
      if (!data) return;
      // Once frames carry the picture (inside their synchronized update), drawing it after each one would only blink.
      if (shown.current === data && images.frames?.synced()) return;
      images.write(data);
      shown.current = data;
    }, AFTER_FRAME_MS);
    return () => clearTimeout(t);
  });
}

/** Blank rows the panel keeps under its text for the picture (0 without a protocol or a picture). */
export function imageRowsFor(images: InlineImages | undefined, overlay: Overlay | null, textLines: number, paneHeight: number): number {
  if (!images?.protocol || !overlay?.image) return 0;
  // title, the text, one blank line, the picture, the footer
  return Math.max(0, paneHeight - 2 - textLines - 1);
}
