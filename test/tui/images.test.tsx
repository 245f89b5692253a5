import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decode } from 'sixel';
import { describe, expect, it } from 'vitest';
import { KITTY_DELETE_ALL } from '../../src/tui/image-protocol.js';
import type { InlineImages } from '../../src/tui/inline-image.js';
import { makePng, startFakeComfy } from '../helpers/comfyui-fake.js';
import { planJson } from '../helpers/pipeline-fixture.js';
import { addTurn } from '../store/fixtures.js';
import { KEY, NO_DREAMER, openFixture, renderApp, waitFor } from './helpers.js';

async function storyWithImage(png = makePng(64, 32), mime = 'image/png', ext = 'png') {
  const fx = await openFixture(NO_DREAMER);
  const story = await fx.store.createStory({ title: 'The Lighthouse', premise: 'A keeper named Maren.' });
  const turn = await addTurn(fx.store, story.id, 'I climb the tower', 'The lamp swings over black water.');
  const dir = path.join(fx.home, 'images', story.id);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${turn.id}-1.${ext}`);
  writeFileSync(file, png);
  await fx.store.replaceTurnImages(turn.id, 'a lighthouse at night', [{ n: 1, path: file, mime, width: 64, height: 32, bytes: png.length }]);
  return { fx, story, file, png };
}

/** Opens the story, types /image and waits for the panel naming `file`. */
async function openImagePanel(fx: Awaited<ReturnType<typeof openFixture>>, storyId: string, file: string, protocol: InlineImages['protocol']) {
  const out = recorder(protocol);
  const app = renderApp(fx, { kind: 'open', id: storyId }, { columns: 200, rows: 30 }, out);
  await app.waitFor((f) => f.includes('The lamp swings'), 'the story');
  await app.type('/image');
  await app.press(KEY.enter);
  await app.waitFor((f) => f.includes(file), 'the image panel with the path');
  return { app, out };
}

function recorder(protocol: InlineImages['protocol']): InlineImages & { writes: string[] } {
  const writes: string[] = [];
  return { protocol, writes, write: (s) => void writes.push(s) };
}

describe('/image in luna play', () => {
  it('plain terminal (no protocol): the panel names the file and not one escape is written', async () => {
    const { fx, story, file } = await storyWithImage();
    const out = recorder(null);
    const app = renderApp(fx, { kind: 'open', id: story.id }, { columns: 200, rows: 30 }, out);
    await app.waitFor((f) => f.includes('The lamp swings'), 'the story');
    await app.type('/image');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('image · turn 1') && f.includes(file), 'the image panel with the path');
    expect(app.frame()).toContain('64x32');
    expect(app.frame()).toContain('prompt: a lighthouse at night');
    await new Promise((r) => setTimeout(r, 300));
    expect(out.writes).toEqual([]);
  });

  it('kitty: draws the PNG under the panel text at a fixed cell, and deletes it when the panel closes', async () => {
    const { fx, story, file, png } = await storyWithImage();
    const { app, out } = await openImagePanel(fx, story.id, file, 'kitty');
    await waitFor(() => out.writes.length > 0, 'the picture');
    const drawn = out.writes[0]!;
    // delete old pictures, save cursor, move under the 3 text lines + a blank (row 3 + 3 + 1), draw, restore
    expect(drawn.startsWith(`${KITTY_DELETE_ALL}\x1b7\x1b[7;1H\x1b_Gf=100,a=T,t=d,`)).toBe(true);
    expect(drawn.endsWith('\x1b\\\x1b8')).toBe(true);
    expect(drawn).toContain(png.toString('base64'));
    await app.press(KEY.esc);
    await waitFor(() => out.writes.at(-1) === KITTY_DELETE_ALL, 'the picture deleted');
  });

  it('sixel: draws the decoded, resized picture as one DCS sequence under the panel text, and redraws it after frames', async () => {
    const { fx, story, file } = await storyWithImage();
    const { app, out } = await openImagePanel(fx, story.id, file, 'sixel');
    await waitFor(() => out.writes.length > 0, 'the picture');
    const m = /^\x1b7\x1b\[7;1H\x1bP0;0;q([^\x1b]*)\x1b\\\x1b8$/.exec(out.writes[0]!);
    expect(m, 'save cursor, move under the text, one sixel DCS, restore').not.toBeNull();
    const img = decode(m![1]!);
    // 64x32 fits the box's cells 2:1 at 10x20 px per cell: twice as wide as tall, far larger than the 64 px source
    expect(img.width).toBe(img.height * 2);
    expect(img.width).toBeGreaterThan(64);
    const mid = (Math.floor(img.height / 2) * img.width + Math.floor(img.width / 2)) * 4;
    const [r, g, b] = img.data8.slice(mid, mid + 3);
    // makePng's colour (200, 120, 40), through sixel's percent colour registers
    expect(Math.abs(r! - 200) + Math.abs(g! - 120) + Math.abs(b! - 40)).toBeLessThanOrEqual(6);
    // typing redraws the frame; the picture is written again, identical (encoded once)
    const before = out.writes.length;
    await app.type('x');
    await waitFor(() => out.writes.length > before, 'the picture redrawn');
    expect(out.writes.at(-1)).toBe(out.writes[0]);
    await app.press(KEY.esc);
  });

  it('sixel: a JPEG, or a .png that does not decode, keeps the path and writes nothing', async () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]);
    const broken = Buffer.concat([makePng(64, 32).subarray(0, 40), Buffer.from('cut off mid-download')]);
    for (const [bytes, mime, ext] of [[jpeg, 'image/jpeg', 'jpg'], [broken, 'image/png', 'png']] as const) {
      const { fx, story, file } = await storyWithImage(bytes, mime, ext);
      const out = recorder('sixel');
      const app = renderApp(fx, { kind: 'open', id: story.id }, { columns: 200, rows: 30 }, out);
      await app.waitFor((f) => f.includes('The lamp swings'), 'the story');
      await app.type('/image');
      await app.press(KEY.enter);
      await app.waitFor((f) => f.includes('image · turn 1') && f.includes(file), `the panel with the ${ext} path`);
      await new Promise((r) => setTimeout(r, 300));
      expect(out.writes).toEqual([]);
      expect(app.frame()).toContain(file);
      app.ui.unmount();
    }
  });

  it('the in-process Dreamer renders the new turn on ComfyUI and the story pane names the picture', async () => {
    const comfy = await startFakeComfy({});
    try {
      const wf = path.join(tmpdir(), `wf-${process.pid}-${Date.now()}.json`);
      writeFileSync(wf, JSON.stringify({ '6': { class_type: 'CLIPTextEncode', inputs: { text: '{{prompt}}' } } }));
      const fx = await openFixture({
        agents: { preprocessor: { model: 'scribe' }, strategist: { model: 'planner' }, writer: { model: 'scribe' }, dreamer: { model: 'scribe', arcEvery: 50, comfyui: { url: comfy.url, workflow: wf, pollMs: 50 } } },
      });
      const story = await fx.store.createStory({ title: 'The Lighthouse', premise: 'A keeper named Maren.' });
      fx.strategist.setDefault({ kind: 'json', value: planJson({ factChanges: [], entities: [] }) });
      fx.writer.script({ kind: 'text', chunks: ['The lamp swings over black water.'] }, { kind: 'text', chunks: ['a lighthouse at night'] });
      const app = renderApp(fx, { kind: 'open', id: story.id }, { columns: 220, rows: 30 });
      await app.waitFor((f) => f.includes('LUNA · The Lighthouse'), 'the story');
      await app.type('I climb the tower');
      await app.press(KEY.enter);
      await app.waitFor((f) => f.includes('picture for turn 1:') && f.includes('/image shows it'), 'the picture notice', 20_000);
      const [img] = await fx.store.listTurnImages(story.id);
      expect(app.frame()).toContain(img!.path);
    } finally {
      await comfy.close();
    }
  });

  it('/image N for a turn without an image says which turns have one', async () => {
    const { fx, story } = await storyWithImage();
    const app = renderApp(fx, { kind: 'open', id: story.id });
    await app.waitFor((f) => f.includes('The lamp swings'), 'the story');
    await app.type('/image 4');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes('turn 4 has no image') && f.includes('turns with images: 1'), 'the refusal');
  });
});
