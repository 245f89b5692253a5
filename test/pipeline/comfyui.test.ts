import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { drainJobs } from '../../src/pipeline/dreamer.js';
import { listenOnLoopback } from '../helpers/listen.js';
import { pipelineFixture, planJson, type PipelineFixture } from '../helpers/pipeline-fixture.js';

/** A loopback stand-in for ComfyUI's POST /prompt (200 {prompt_id, number, node_errors}; errors as ComfyUI sends them). */
async function fakeComfy(replies: { status: number; body: unknown }[]) {
  const bodies: any[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/prompt') return void res.writeHead(404).end();
      bodies.push(JSON.parse(raw));
      const r = replies.shift() ?? { status: 200, body: { prompt_id: `p${bodies.length}`, number: bodies.length, node_errors: {} } };
      res.writeHead(r.status, { 'content-type': 'application/json' }).end(JSON.stringify(r.body));
    });
  });
  const { port, close } = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${port}`, bodies, close };
}

const WORKFLOW = {
  '3': { class_type: 'KSampler', inputs: { seed: 1, steps: 20, model: ['4', 0], positive: ['6', 0] } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'masterpiece, {{prompt}}', clip: ['4', 1] } },
};

let fx: PipelineFixture | null = null;
let comfy: Awaited<ReturnType<typeof fakeComfy>> | null = null;
afterEach(async () => {
  await fx?.close();
  await comfy?.close();
  fx = comfy = null;
});

async function setup(replies: { status: number; body: unknown }[]) {
  comfy = await fakeComfy(replies);
  const dir = mkdtempSync(path.join(tmpdir(), 'luna-comfy-'));
  const workflow = path.join(dir, 'workflow_api.json');
  writeFileSync(workflow, JSON.stringify(WORKFLOW));
  fx = await pipelineFixture({
    agents: {
      preprocessor: { model: 'scribe' },
      strategist: { model: 'planner' },
      writer: { model: 'scribe' },
      dreamer: { model: 'scribe', arcEvery: 50, extractFacts: false, comfyui: { url: comfy.url, workflow } },
    },
  });
  const story = await fx.store.createStory({ title: 'Harbour', premise: 'Maren keeps the light' });
  fx.strategist.setDefault({ kind: 'json', value: planJson({ factChanges: [], entities: [] }) });
  fx.writer.script({ kind: 'text', chunks: ['The lamp swings over black water.'] }, { kind: 'text', chunks: ['a lighthouse at night, storm clouds'] });
  const events = await fx.play({ storyId: story.id, action: 'I climb the tower' });
  const done = events.at(-1)!;
  if (done.type !== 'done') throw new Error(JSON.stringify(done));
  return { story, turnId: done.turn.id };
}

describe('Dreamer → ComfyUI', () => {
  it('submits the image prompt inside the user workflow and keeps it with the turn', async () => {
    const { turnId } = await setup([]);
    const r = await drainJobs(fx!.session.deps, { workerId: 't' });
    expect(r).toMatchObject({ done: 1, failed: 0 });
    expect(comfy!.bodies).toHaveLength(1);
    const sent = comfy!.bodies[0];
    expect(sent.prompt['6'].inputs.text).toBe('masterpiece, a lighthouse at night, storm clouds');
    expect(sent.prompt['3']).toEqual(WORKFLOW['3']);
    expect(sent.extra_data.luna.turnId).toBe(turnId);
    expect((await fx!.store.getImagePrompts([turnId]))[turnId]).toBe('a lighthouse at night, storm clouds');
  });

  it('a ComfyUI error fails the job so the queue retries it, with the error visible', async () => {
    await setup([{ status: 400, body: { error: { type: 'prompt_no_outputs', message: 'Prompt has no outputs' }, node_errors: {} } }]);
    const r = await drainJobs(fx!.session.deps, { workerId: 't' });
    expect(r.done).toBe(0);
    expect(r.retried + r.failed).toBe(1);
    const [job] = await fx!.store.listJobs({});
    expect(job!.lastError).toMatch(/ComfyUI refused the prompt \(HTTP 400\).*prompt_no_outputs/);
  });
});
