import { PNG } from 'pngjs';
import { decode } from 'sixel';
import { describe, expect, it } from 'vitest';
import { resample, sixelImage } from '../../src/tui/sixel.js';

/** A PNG drawn by pngjs: `paint(x, y)` gives each pixel's [r, g, b] (alpha 255 unless a fourth value). */
function png(width: number, height: number, paint: (x: number, y: number) => number[]): Buffer {
  const p = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b, a = 255] = paint(x, y);
      p.data.set([r!, g!, b!, a], (y * width + x) * 4);
    }
  }
  return PNG.sync.write(p);
}

/** The sixel escape decoded back by node-sixel's own decoder: size and RGBA pixels. */
function decodeSixel(escape: string) {
  const m = /^\x1bP0;0;q([\s\S]*)\x1b\\$/.exec(escape);
  expect(m, 'one DCS … q … ST sequence').not.toBeNull();
  const img = decode(m![1]!);
  return { width: img.width, height: img.height, at: (x: number, y: number) => [...img.data8.slice((y * img.width + x) * 4, (y * img.width + x) * 4 + 4)] };
}

const RED = [255, 0, 0];
const BLUE = [0, 0, 255];
const GREEN = [0, 255, 0];

describe('sixel encoding', () => {
  it('a PNG that fits its box comes back from the decoder at its own size with its colours', () => {
    // left half red, right half blue, a green bottom stripe 6 rows high (one sixel band)
    const src = png(120, 60, (x, y) => (y >= 54 ? GREEN : x < 60 ? RED : BLUE));
    const out = sixelImage(src, { cols: 12, rows: 3 })!; // 120 x 60 px at 10 x 20 per cell
    expect(out.startsWith('\x1bP')).toBe(true);
    expect(out.endsWith('\x1b\\')).toBe(true);
    const img = decodeSixel(out);
    expect([img.width, img.height]).toEqual([120, 60]);
    expect(img.at(5, 5)).toEqual([...RED, 255]);
    expect(img.at(59, 53)).toEqual([...RED, 255]);
    expect(img.at(60, 0)).toEqual([...BLUE, 255]);
    expect(img.at(119, 30)).toEqual([...BLUE, 255]);
    expect(img.at(0, 54)).toEqual([...GREEN, 255]);
    expect(img.at(119, 59)).toEqual([...GREEN, 255]);
  });

  it('a 1024x1024 render is scaled down to the box, keeping its shape, and stays small', () => {
    const src = png(1024, 1024, (x, y) => [x >> 2, y >> 2, 128]);
    const out = sixelImage(src, { cols: 40, rows: 20 })!; // box 400 x 400 px
    const img = decodeSixel(out);
    expect([img.width, img.height]).toEqual([400, 400]);
    // the gradient survives the scaling: dark top-left, bright bottom-right (256 colours, dithered)
    const [r0, g0] = img.at(2, 2);
    const [r1, g1] = img.at(397, 397);
    expect(r0!).toBeLessThan(30);
    expect(g0!).toBeLessThan(30);
    expect(r1!).toBeGreaterThan(225);
    expect(g1!).toBeGreaterThan(225);
    expect(out.length).toBeLessThan(400 * 400); // well under a byte per pixel; the PNG's 4 MB of RGBA never goes out as is

    const wide = decodeSixel(sixelImage(png(200, 100, () => BLUE), { cols: 40, rows: 20 })!);
    expect([wide.width, wide.height]).toEqual([400, 200]);
    const tall = decodeSixel(sixelImage(png(100, 300, () => BLUE), { cols: 40, rows: 10 })!);
    expect([tall.width, tall.height]).toEqual([67, 200]);
    // the terminal's cell size decides the pixel box
    const small = decodeSixel(sixelImage(png(64, 64, () => RED), { cols: 10, rows: 5 }, { width: 8, height: 16 })!);
    expect([small.width, small.height]).toEqual([80, 80]);
  });

  it('box resampling averages the pixels under each target pixel, weighted by alpha, and comes out opaque', () => {
    const src = { width: 4, height: 2, data: new Uint8Array([
      255, 0, 0, 255, 0, 0, 255, 255, /**/ 0, 0, 0, 0, 10, 20, 30, 255,
      255, 0, 0, 255, 0, 0, 255, 255, /**/ 99, 99, 99, 0, 10, 20, 30, 255,
    ]) };
    expect([...resample(src, 2, 1)]).toEqual([128, 0, 128, 255, 10, 20, 30, 255]);
    // enlarging repeats pixels (nearest neighbour); fully transparent becomes black, not its hidden colour
    expect([...resample({ width: 1, height: 1, data: new Uint8Array([9, 9, 9, 0]) }, 2, 1)]).toEqual([0, 0, 0, 255, 0, 0, 0, 255]);
  });

  it('bytes that are not a PNG it can decode (JPEG, a truncated file, nothing) give null, never a throw', () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0xff, 0xd9]);
    expect(sixelImage(jpeg, { cols: 10, rows: 5 })).toBeNull();
    const whole = png(32, 32, () => RED);
    expect(sixelImage(whole.subarray(0, whole.length - 40), { cols: 10, rows: 5 })).toBeNull();
    expect(sixelImage(Buffer.concat([whole.subarray(0, 8), Buffer.from('not a png at all')]), { cols: 10, rows: 5 })).toBeNull();
    expect(sixelImage(Buffer.alloc(0), { cols: 10, rows: 5 })).toBeNull();
  });
});
