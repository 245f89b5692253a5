import { createRequire } from 'node:module';
import type * as Pngjs from 'pngjs';
import type * as Colors from 'sixel/lib/Colors.js';
import type * as Encoder from 'sixel/lib/SixelEncoder.js';

// Loaded on the first sixel picture, not with `luna play` (~30 ms at start-up for a terminal that may never
// need them). The encoder's own modules: the package's index also loads the WebAssembly decoder, never needed here.
const require = createRequire(import.meta.url);
let libs: { PNG: typeof Pngjs.PNG; toRGBA8888: typeof Colors.toRGBA8888 } & typeof Encoder;
function load(): typeof libs {
  libs ??= { PNG: (require('pngjs') as typeof Pngjs).PNG, toRGBA8888: (require('sixel/lib/Colors.js') as typeof Colors).toRGBA8888, ...(require('sixel/lib/SixelEncoder.js') as typeof Encoder) };
  return libs;
}

/** A terminal cell's size in pixels when the terminal has not told us (most fonts at 96 dpi are 8–10 × 16–20). */
export const DEFAULT_CELL_PX = { width: 10, height: 20 };

/** Colour registers: the sixel standard's 256. Fewer saves little on a scaled-down picture and bands skies. */
const MAX_COLORS = 256;

/**
 * The PNG as a sixel escape (DCS … ST) sized to fit `cells` at `cellPx` pixels per cell, keeping its shape;
 * null when the bytes are not a PNG pngjs can decode (a JPEG or WebP from ComfyUI, a truncated file), so the
 * caller shows the path instead. Sixel carries pixels, not a file: unlike kitty and iTerm2 the terminal cannot
 * scale it, so the picture is resampled here to the box's pixel size — which also bounds the output (a 1024×1024
 * render is not sent as a megapixel sixel when the panel has room for a tenth of that).
 */
export function sixelImage(png: Buffer, cells: { cols: number; rows: number }, cellPx = DEFAULT_CELL_PX): string | null {
  const { PNG, image2sixel, introducer, sixelEncode, FINALIZER } = load();
  let src: { width: number; height: number; data: Buffer };
  try {
    src = PNG.sync.read(png);
  } catch {
    return null;
  }
  if (!src.width || !src.height) return null;
  const boxW = Math.max(1, Math.floor(cells.cols * cellPx.width));
  const boxH = Math.max(1, Math.floor(cells.rows * cellPx.height));
  const scale = Math.min(boxW / src.width, boxH / src.height);
  const width = Math.min(boxW, Math.max(1, Math.round(src.width * scale)));
  const height = Math.min(boxH, Math.max(1, Math.round(src.height * scale)));
  const pixels = resample(src, width, height);
  const exact = fewColours(pixels);
  // The library's quantiser (a k-d tree split by power iteration) can collapse a few evenly spread flat colours
  // into their mean — red, green and blue halves came out grey — so a picture that already fits the palette
  // is sent with its own colours and only a true-colour one is quantised.
  if (exact) return introducer(0) + sixelEncode(pixels, width, height, exact) + FINALIZER;
  return image2sixel(pixels, width, height, MAX_COLORS, 0);
}

/** The picture's colours when there are at most MAX_COLORS of them (opaque RGBA in); null past that. */
function fewColours(rgba: Uint8Array): number[] | null {
  const seen = new Set<number>();
  for (let i = 0; i < rgba.length; i += 4) {
    seen.add((rgba[i]! << 16) | (rgba[i + 1]! << 8) | rgba[i + 2]!);
    if (seen.size > MAX_COLORS) return null;
  }
  const { toRGBA8888 } = load();
  return [...seen].map((c) => toRGBA8888(c >> 16, (c >> 8) & 255, c & 255));
}

/**
 * Box-filter resampling: each target pixel is the average of the source pixels under it (nearest-neighbour
 * when enlarging, where that area is one pixel). Colours are weighted by alpha and the result is opaque:
 * the encoder ignores partial transparency, and a fully transparent area comes out black rather than as
 * whatever colour its invisible pixels happen to hold. A fresh array: the quantiser dithers in place.
 */
export function resample(src: { width: number; height: number; data: Uint8Array }, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 4);
  for (let ty = 0; ty < height; ty++) {
    const y0 = Math.floor((ty * src.height) / height);
    const y1 = Math.max(y0 + 1, Math.floor(((ty + 1) * src.height) / height));
    for (let tx = 0; tx < width; tx++) {
      const x0 = Math.floor((tx * src.width) / width);
      const x1 = Math.max(x0 + 1, Math.floor(((tx + 1) * src.width) / width));
      let r = 0, g = 0, b = 0, a = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const i = (y * src.width + x) * 4;
          const alpha = src.data[i + 3]!;
          r += src.data[i]! * alpha;
          g += src.data[i + 1]! * alpha;
          b += src.data[i + 2]! * alpha;
          a += alpha;
        }
      }
      const o = (ty * width + tx) * 4;
      if (a > 0) {
        out[o] = Math.round(r / a);
        out[o + 1] = Math.round(g / a);
        out[o + 2] = Math.round(b / a);
      }
      out[o + 3] = 255;
    }
  }
  return out;
}
