import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makePng } from '../helpers/comfyui-fake.js';
import { addTurn } from '../store/fixtures.js';
import { apiFixture, type ApiFixture } from './api-fixture.js';

let f: ApiFixture;
beforeEach(async () => {
  f = await apiFixture();
});
afterEach(async () => {
  await f.close();
});

async function storyWithImage(accountId = 'a') {
  const story = await f.fx.store.createStory({ accountId, title: 'Harbour', premise: 'Maren keeps the light' });
  const turn = await addTurn(f.fx.store, story.id, 'I climb the tower', 'The lamp swings.');
  const dir = path.join(f.fx.home, 'images', story.id);
  mkdirSync(dir, { recursive: true });
  const png = makePng(5, 3);
  const file = path.join(dir, `${turn.id}-1.png`);
  writeFileSync(file, png);
  const [img] = await f.fx.store.replaceTurnImages(turn.id, 'a lighthouse at night', [{ n: 1, path: file, mime: 'image/png', width: 5, height: 3, bytes: png.length }]);
  return { story, turn, img: img!, png, file };
}

describe('luna api: story images', () => {
  it('lists a story\'s images with a URL each (no server paths) and serves the bytes with their content type', async () => {
    const { story, turn, img, png, file } = await storyWithImage();
    const res = await f.req('GET', `/v1/stories/${story.id}/images`);
    expect(res.status).toBe(200);
    const list = await res.json();
    expect(list.nextCursor).toBeNull();
    expect(list.data).toEqual([{ id: img.id, turnId: turn.id, depth: 1, n: 1, mime: 'image/png', width: 5, height: 3, bytes: png.length, prompt: 'a lighthouse at night', createdAt: expect.any(String), url: `/v1/stories/${story.id}/images/${img.id}` }]);
    expect(JSON.stringify(list)).not.toContain(f.fx.home);
    const got = await f.req('GET', list.data[0].url);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await got.arrayBuffer()).equals(png)).toBe(true);
    // The Markdown export links the picture by its API URL, never by a server path.
    const md = await (await f.req('GET', `/v1/stories/${story.id}/export?format=markdown`)).text();
    expect(md).toContain(`![Turn 1](</v1/stories/${story.id}/images/${img.id}>)`);
    expect(md).not.toContain(f.fx.home);
    // Deleting the story deletes the picture's file as well as its row.
    expect((await f.req('DELETE', `/v1/stories/${story.id}`)).status).toBe(200);
    expect(existsSync(file)).toBe(false);
  });

  it('is account-scoped: another account gets 404 for the listing and the image; a missing id or file is 404 with a hint', async () => {
    const { story, img, file } = await storyWithImage('a');
    for (const p of [`/v1/stories/${story.id}/images`, `/v1/stories/${story.id}/images/${img.id}`]) {
      const res = await f.req('GET', p, { key: f.keys.b });
      expect(res.status).toBe(404);
      expect(JSON.stringify(await res.json())).not.toContain('lighthouse');
    }
    expect((await f.req('GET', `/v1/stories/${story.id}/images/nope`)).status).toBe(404);
    expect((await f.req('GET', `/v1/stories/${story.id}/images/${img.id}`, { key: null })).status).toBe(401);
    // An image of account b's story is not reachable through account a's story id.
    const other = await storyWithImage('b');
    expect((await f.req('GET', `/v1/stories/${story.id}/images/${other.img.id}`)).status).toBe(404);
    rmSync(file);
    const gone = await f.req('GET', `/v1/stories/${story.id}/images/${img.id}`);
    expect(gone.status).toBe(404);
    expect((await gone.json()).error.message).toMatch(/file is gone/);
  });
});
