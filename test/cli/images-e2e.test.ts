import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openStore } from '../../src/store/open.js';
import { luna, tempHome } from '../helpers/cli.js';
import { startFakeComfy, type FakeComfy } from '../helpers/comfyui-fake.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';
import { planJson } from '../helpers/pipeline-fixture.js';

let home: string;
let config: string;
let server: LoopbackServer;
let comfy: FakeComfy;

const WORKFLOW = {
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'oil painting, {{prompt}}', clip: ['4', 1] } },
  '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'luna/LUNA', images: ['8', 0] } },
};

beforeAll(async () => {
  home = tempHome('luna-images-');
  server = await startOpenAIServer();
  comfy = await startFakeComfy({ gpuMs: 4000, width: 16, height: 9 });
  writeFileSync(path.join(home, 'workflow_api.json'), JSON.stringify(WORKFLOW));
  config = path.join(home, 'images.yaml');
  writeFileSync(config, stringify({
    models: { loop: { provider: 'openai-compatible', baseUrl: server.baseUrl, model: 'loop-1', maxRetries: 0, price: { inputPerMTok: 0, outputPerMTok: 0 } } },
    agents: {
      preprocessor: { model: 'loop' }, strategist: { model: 'loop' }, writer: { model: 'loop' },
      dreamer: { model: 'loop', arcEvery: 50, extractFacts: false, comfyui: { url: comfy.url, workflow: './workflow_api.json', gpuHourUsd: 0.9 } },
    },
  }));
});
afterAll(async () => {
  await server.close();
  await comfy.close();
});

describe('images end to end through bin/luna', () => {
  it('luna turn renders the turn\'s image on ComfyUI, stores the PNG in the home, links it and ledgers the GPU time; show, images and export list it', async () => {
    const created = await luna(['--config', config, 'story', 'new', '--title', 'Harbour', '--premise', 'Maren keeps the light', '--json'], { home });
    expect(created.exitCode, created.stderr).toBe(0);
    const id = JSON.parse(created.stdout).id as string;
    server.script({ kind: 'json', value: planJson({ factChanges: [], entities: [] }) }, { kind: 'text', chunks: ['The lamp ', 'swings.'] }, { kind: 'text', chunks: ['a lighthouse in a storm'] });
    const turn = await luna(['--config', config, 'turn', id, 'I climb the tower', '--json'], { home, timeoutMs: 120_000 });
    expect(turn.exitCode, turn.stderr).toBe(0);
    const turnId = JSON.parse(turn.stdout).turn.id as string;
    expect(comfy.bodies.at(-1).prompt['6'].inputs.text).toBe('oil painting, a lighthouse in a storm');

    const file = path.join(home, 'images', id, `${turnId}-1.png`);
    expect(existsSync(file)).toBe(true);
    const png = readFileSync(file);
    expect(png.readUInt32BE(16)).toBe(16);

    const list = await luna(['--config', config, 'story', 'images', id, '--json'], { home });
    expect(list.exitCode, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ turnId, depth: 1, n: 1, path: file, mime: 'image/png', width: 16, height: 9, bytes: png.length, prompt: 'a lighthouse in a storm' })]);
    const table = await luna(['--config', config, 'story', 'images', id], { home });
    expect(table.stdout).toContain(file);
    expect(table.stdout).toContain('16x9');

    const store = await openStore({ url: `sqlite:${path.join(home, 'luna.db')}`, poolSize: 1 }, home);
    try {
      const rows = (await store.listCalls({ storyId: id })).filter((r) => r.provider === 'comfyui');
      // 4 GPU-seconds at $0.90 per GPU-hour = $0.001
      expect(rows).toEqual([expect.objectContaining({ agent: 'dreamer', turnId, outcome: 'ok', latencyMs: 4000, model: 'workflow_api' })]);
      expect(rows[0]!.costUsd).toBeCloseTo(0.001, 10);
    } finally {
      await store.close();
    }

    const show = await luna(['--config', config, 'story', 'show', id], { home });
    expect(show.stdout).toContain(`image: ${file}  (16x9)`);
    const showJson = JSON.parse((await luna(['--config', config, 'story', 'show', id, '--json'], { home })).stdout);
    expect(showJson.images).toEqual([expect.objectContaining({ turnId, path: file })]);

    // Markdown to a file links the image relative to it; to stdout, by its absolute path; inline, as a data: URI.
    const md = path.join(home, 'out', 'harbour.md');
    mkdirSync(path.dirname(md));
    const exp = await luna(['--config', config, 'story', 'export', id, '--format', 'md', '-o', md], { home });
    expect(exp.exitCode, exp.stderr).toBe(0);
    expect(readFileSync(md, 'utf8')).toContain(`![Turn 1](<../images/${id}/${turnId}-1.png>)`);
    const out = await luna(['--config', config, 'story', 'export', id, '--format', 'md'], { home });
    expect(out.stdout).toContain(`![Turn 1](<${file}>)`);
    const inline = await luna(['--config', config, 'story', 'export', id, '--format', 'md', '--images', 'inline'], { home });
    expect(inline.stdout).toContain(`![Turn 1](data:image/png;base64,${png.toString('base64')})`);
    const none = await luna(['--config', config, 'story', 'export', id, '--format', 'md', '--images', 'none'], { home });
    expect(none.stdout).not.toContain('![');

    // Deleting the story removes its pictures and their folder too.
    const del = await luna(['--config', config, 'story', 'delete', id, '--yes'], { home });
    expect(del.exitCode, del.stderr).toBe(0);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(path.dirname(file))).toBe(false);
  });

  it('luna doctor checks the workflow and that ComfyUI answers', async () => {
    const ok = await luna(['--config', config, 'doctor', '--json'], { home });
    const check = JSON.parse(ok.stdout).checks.find((c: { check: string }) => c.check === 'comfyui');
    expect(check).toMatchObject({ status: 'pass', detail: expect.stringContaining('ComfyUI 0.3.40') });
    expect(check.detail).toContain('RTX 4090');
    const bad = path.join(home, 'bad.yaml');
    writeFileSync(bad, readFileSync(config, 'utf8').replace(comfy.url, 'http://127.0.0.1:9'));
    const down = JSON.parse((await luna(['--config', bad, 'doctor', '--json'], { home })).stdout).checks.find((c: { check: string }) => c.check === 'comfyui');
    expect(down).toMatchObject({ status: 'fail', fix: expect.stringContaining('agents.dreamer.comfyui.url') });
  });

  it('a story without images says where they come from', async () => {
    const created = await luna(['--config', config, 'story', 'new', '--title', 'Empty', '--premise', 'p', '--json'], { home });
    const id = JSON.parse(created.stdout).id as string;
    const r = await luna(['--config', config, 'story', 'images', id], { home });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/no images for "Empty" yet.*docs\/images\.md/);
    expect(JSON.parse((await luna(['--config', config, 'story', 'images', id, '--json'], { home })).stdout)).toEqual([]);
  });
});
