import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KITTY_DELETE_ALL } from '../../src/tui/image-protocol.js';
import type { InlineImages } from '../../src/tui/inline-image.js';
import { makePng, startFakeComfy } from '../helpers/comfyui-fake.js';
import { planJson } from '../helpers/pipeline-fixture.js';
import { addTurn } from '../store/fixtures.js';
import { KEY, NO_DREAMER, openFixture, renderApp, waitFor } from './helpers.js';

async function storyWithImage() {
  const fx = await openFixture(NO_DREAMER);
  const story = await fx.store.createStory({ title: 'The Lighthouse', premise: 'A keeper named Maren.' });
  const turn = await addTurn(fx.store, story.id, 'I climb the tower', 'The lamp swings over black water.');
  const dir = path.join(fx.home, 'images', story.id);
  mkdirSync(dir, { recursive: true });
  const png = makePng(64, 32);
  const file = path.join(dir, `${turn.id}-1.png`);
  writeFileSync(file, png);
  await fx.store.replaceTurnImages(turn.id, 'a lighthouse at night', [{ n: 1, path: file, mime: 'image/png', width: 64, height: 32, bytes: png.length }]);
  return { fx, story, file, png };
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
    const out = recorder('kitty');
    const app = renderApp(fx, { kind: 'open', id: story.id }, { columns: 200, rows: 30 }, out);
    await app.waitFor((f) => f.includes('The lamp swings'), 'the story');
    await app.type('/image');
    await app.press(KEY.enter);
    await app.waitFor((f) => f.includes(file), 'the image panel with the path');
    await waitFor(() => out.writes.length > 0, 'the picture');
    const drawn = out.writes[0]!;
    // delete old pictures, save cursor, move under the 3 text lines + a blank (row 3 + 3 + 1), draw, restore
    expect(drawn.startsWith(`${KITTY_DELETE_ALL}\x1b7\x1b[7;1H\x1b_Gf=100,a=T,t=d,`)).toBe(true);
    expect(drawn.endsWith('\x1b\\\x1b8')).toBe(true);
    expect(drawn).toContain(png.toString('base64'));
    await app.press(KEY.esc);
    await waitFor(() => out.writes.at(-1) === KITTY_DELETE_ALL, 'the picture deleted');
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
