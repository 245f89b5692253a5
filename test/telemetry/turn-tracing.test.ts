import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { luna, tempHome } from '../helpers/cli.js';
import { listenOnLoopback } from '../helpers/listen.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';
import { startOtlpCollector, type CollectedSpan, type OtlpCollector } from '../helpers/otlp-collector.js';
import { planJson } from '../helpers/pipeline-fixture.js';

// The runner's own OTEL_* variables must not leak into the CLI under test.
const NO_OTEL = { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', OTEL_SDK_DISABLED: '', OTEL_TRACES_EXPORTER: '', OTEL_SERVICE_NAME: '' };

let model: LoopbackServer;
let collector: OtlpCollector;

beforeAll(async () => {
  model = await startOpenAIServer();
  model.setDefault({ kind: 'text', chunks: ['Maren: keeper of the light.'], usage: { prompt_tokens: 50, completion_tokens: 7 } });
  collector = await startOtlpCollector();
});
afterAll(async () => {
  await model.close();
  await collector.close();
});

function home(telemetry: Record<string, unknown> | null): string {
  const dir = tempHome('luna-otel-');
  writeFileSync(path.join(dir, 'luna.yaml'), stringify({
    models: { loop: { provider: 'openai-compatible', baseUrl: model.baseUrl, model: 'loop-1', maxRetries: 0, price: { inputPerMTok: 1, outputPerMTok: 5 } } },
    agents: { preprocessor: { model: 'loop' }, strategist: { model: 'loop' }, writer: { model: 'loop' }, dreamer: { model: 'loop' } },
    ...(telemetry ? { telemetry } : {}),
  }));
  return dir;
}

async function newStory(dir: string, env: Record<string, string> = {}): Promise<string> {
  const r = await luna(['story', 'new', '--title', 'Light', '--premise', 'Maren keeps the light', '--json'], { home: dir, env: { ...NO_OTEL, ...env } });
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout).id as string;
}

function scriptTurn(): void {
  model.script(
    { kind: 'json', value: planJson(), usage: { prompt_tokens: 120, completion_tokens: 40 } },
    { kind: 'text', chunks: ['The stranger ', 'lowers his hood.'], usage: { prompt_tokens: 300, completion_tokens: 25 } },
  );
}

const named = (spans: CollectedSpan[], name: string) => spans.filter((s) => s.name === name);
const one = (spans: CollectedSpan[], name: string) => {
  const found = named(spans, name);
  expect(found.map((s) => s.name), `exactly one ${name}`).toEqual([name]);
  return found[0]!;
};

describe('luna turn with telemetry.otlp.endpoint', () => {
  it('sends one trace: the turn, its stages, each model call with tokens and cost as the ledger has them, and the Dreamer job', async () => {
    const dir = home({ otlp: { endpoint: collector.url, headers: { 'x-test-token': 'sesame' } }, serviceName: 'luna-test' });
    const id = await newStory(dir);
    scriptTurn();
    const r = await luna(['turn', id, 'I open the door', '--json'], { home: dir, env: NO_OTEL });
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    // The in-process Dreamer ran before exit, so its spans were sent before exit too.
    const spans = await collector.waitFor((s) => s.some((x) => x.name === 'luna.turn' && x.attrs['luna.turn.id'] === out.turn.id) && s.some((x) => x.name.startsWith('luna.dreamer.') && x.attrs['luna.turn.id'] === out.turn.id));
    const turnSpan = spans.find((s) => s.name === 'luna.turn' && s.attrs['luna.turn.id'] === out.turn.id)!;
    const mine = spans.filter((s) => s.traceId === turnSpan.traceId);

    expect(turnSpan.parentSpanId).toBeUndefined();
    expect(turnSpan.kind).toBe(1);
    expect(turnSpan.attrs).toMatchObject({ 'luna.story.id': id, 'luna.turn.depth': 1, 'luna.turn.mode': 'continue', 'luna.turn.input_tokens': 420, 'luna.turn.output_tokens': 65 });
    expect(turnSpan.resource).toMatchObject({ 'service.name': 'luna-test', 'telemetry.sdk.language': 'nodejs' });
    expect(turnSpan.scope.name).toBe('luna');
    expect(collector.requests.at(-1)!.headers['x-test-token']).toBe('sesame');

    for (const stage of ['preprocessor', 'strategist', 'writer', 'commit']) {
      const s = one(mine, `luna.${stage}`);
      expect(s.parentSpanId, stage).toBe(turnSpan.spanId);
      expect(BigInt(s.startTimeUnixNano) >= BigInt(turnSpan.startTimeUnixNano) && BigInt(s.endTimeUnixNano) <= BigInt(turnSpan.endTimeUnixNano), `${stage} inside the turn`).toBe(true);
    }
    const stageOf = (s: CollectedSpan) => mine.find((x) => x.spanId === s.parentSpanId)?.name;
    const calls = named(mine, 'chat loop-1');
    const strat = calls.filter((c) => c.attrs['luna.agent'] === 'strategist');
    const writer = calls.filter((c) => c.attrs['luna.agent'] === 'writer');
    expect(strat).toHaveLength(1);
    expect(writer).toHaveLength(1);
    expect(stageOf(strat[0]!)).toBe('luna.strategist');
    expect(stageOf(writer[0]!)).toBe('luna.writer');
    expect(strat[0]!.kind).toBe(3);
    expect(strat[0]!.attrs).toMatchObject({ 'gen_ai.request.model': 'loop-1', 'gen_ai.usage.input_tokens': 120, 'gen_ai.usage.output_tokens': 40, 'luna.call.outcome': 'ok' });
    expect(writer[0]!.attrs).toMatchObject({ 'gen_ai.request.model': 'loop-1', 'gen_ai.usage.input_tokens': 300, 'gen_ai.usage.output_tokens': 25 });

    // Cost on each call span is the ledger row's, to the last bit.
    const db = new Database(path.join(dir, 'luna.db'), { readonly: true });
    const rows = db.prepare('SELECT agent, input_tokens, output_tokens, cost_usd FROM ledger WHERE turn_id = ? ORDER BY seq').all(out.turn.id) as { agent: string; input_tokens: number; output_tokens: number; cost_usd: number }[];
    db.close();
    const row = (agent: string) => rows.find((x) => x.agent === agent)!;
    expect(strat[0]!.attrs['luna.cost_usd']).toBe(row('strategist').cost_usd);
    expect(writer[0]!.attrs['luna.cost_usd']).toBe(row('writer').cost_usd);
    expect(row('strategist').cost_usd).toBeCloseTo((120 * 1 + 40 * 5) / 1e6, 12);
    expect(turnSpan.attrs['luna.turn.cost_usd']).toBeCloseTo(row('strategist').cost_usd + row('writer').cost_usd, 12);

    // The Dreamer's job joined the turn's trace, with its own model call under it, priced like its ledger row.
    const jobs = mine.filter((s) => s.name.startsWith('luna.dreamer.'));
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) expect(job.parentSpanId).toBe(turnSpan.spanId);
    const dreamCalls = calls.filter((c) => c.attrs['luna.agent'] === 'dreamer');
    expect(dreamCalls.length).toBe(rows.filter((x) => x.agent === 'dreamer').length);
    for (const c of dreamCalls) {
      expect(jobs.map((j) => j.spanId)).toContain(c.parentSpanId);
      expect(c.attrs).toMatchObject({ 'gen_ai.usage.input_tokens': 50, 'gen_ai.usage.output_tokens': 7, 'luna.cost_usd': row('dreamer').cost_usd });
    }
    expect(collector.rejected).toEqual([]);
  });

  it('a failed turn is a failed trace: the turn, the stage that was running and the failed call have status ERROR', async () => {
    const dir = home({ otlp: { endpoint: collector.url } });
    const id = await newStory(dir);
    model.script({ kind: 'json', value: planJson(), usage: { prompt_tokens: 120, completion_tokens: 40 } }, { kind: 'error', status: 400, message: 'context too long for this test' });
    const r = await luna(['turn', id, 'I knock'], { home: dir, env: NO_OTEL });
    expect(r.exitCode).toBe(6);
    const spans = await collector.waitFor((s) => s.some((x) => x.name === 'luna.turn' && x.attrs['luna.story.id'] === id && x.status.code === 2));
    const turn = spans.find((x) => x.name === 'luna.turn' && x.attrs['luna.story.id'] === id)!;
    const mine = spans.filter((s) => s.traceId === turn.traceId);
    expect(turn.attrs).toMatchObject({ 'luna.error.exit_code': 6, 'luna.turn.cancelled': false });
    expect(turn.status.message).toMatch(/context too long for this test/);
    const writer = mine.find((s) => s.name === 'luna.writer')!;
    expect(writer.status.code).toBe(2);
    expect(mine.find((s) => s.name === 'luna.strategist')!.status.code).toBe(0);
    const failed = mine.find((s) => s.name === 'chat loop-1' && s.attrs['luna.agent'] === 'writer')!;
    expect(failed.parentSpanId).toBe(writer.spanId);
    expect(failed.attrs['luna.call.outcome']).toBe('failed');
    expect(failed.status.code).toBe(2);
    expect(mine.some((s) => s.name === 'luna.commit')).toBe(false);
  });

  it('honours OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_SERVICE_NAME when the config names no endpoint', async () => {
    const dir = home(null);
    const id = await newStory(dir);
    scriptTurn();
    const r = await luna(['turn', id, 'I wait', '--no-dream', '--json'], { home: dir, env: { ...NO_OTEL, OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'from-env' } });
    expect(r.exitCode, r.stderr).toBe(0);
    const turnId = JSON.parse(r.stdout).turn.id as string;
    const spans = await collector.waitFor((s) => s.some((x) => x.attrs['luna.turn.id'] === turnId));
    expect(spans.find((x) => x.attrs['luna.turn.id'] === turnId)!.resource['service.name']).toBe('from-env');
  });

  it('a `luna dream` worker traces the jobs it runs, each in its own trace naming the turn it enriches', async () => {
    const dir = home({ otlp: { endpoint: collector.url } });
    const id = await newStory(dir);
    scriptTurn();
    const r = await luna(['turn', id, 'I open the door', '--no-dream', '--json'], { home: dir, env: NO_OTEL });
    expect(r.exitCode, r.stderr).toBe(0);
    const turnId = JSON.parse(r.stdout).turn.id as string;
    const d = await luna(['dream', '--once', '--json'], { home: dir, env: NO_OTEL });
    expect(d.exitCode, d.stderr).toBe(0);
    const done = JSON.parse(d.stdout).done as number;
    expect(done).toBeGreaterThan(0);
    const spans = await collector.waitFor((s) => s.filter((x) => x.name.startsWith('luna.dreamer.') && x.attrs['luna.turn.id'] === turnId).length === done);
    const jobs = spans.filter((x) => x.name.startsWith('luna.dreamer.') && x.attrs['luna.turn.id'] === turnId);
    const turn = spans.find((x) => x.name === 'luna.turn' && x.attrs['luna.turn.id'] === turnId)!;
    for (const job of jobs) {
      expect(job.parentSpanId).toBeUndefined();
      expect(job.traceId).not.toBe(turn.traceId);
      expect(job.attrs).toMatchObject({ 'luna.story.id': id, 'luna.job.kind': job.name.slice('luna.dreamer.'.length) });
      expect(spans.some((c) => c.parentSpanId === job.spanId && c.attrs['luna.agent'] === 'dreamer')).toBe(true);
    }
  });

  it('is off by default, and OTEL_SDK_DISABLED=true turns it off even with an endpoint configured', async () => {
    const before = collector.requests.length;
    for (const [dir, env] of [[home(null), {}], [home({ otlp: { endpoint: collector.url } }), { OTEL_SDK_DISABLED: 'true' }]] as const) {
      const id = await newStory(dir);
      scriptTurn();
      const r = await luna(['turn', id, 'I wait', '--no-dream'], { home: dir, env: { ...NO_OTEL, ...env } });
      expect(r.exitCode, r.stderr).toBe(0);
    }
    // Nothing is in flight: `luna turn` waits for its exports before it exits.
    expect(collector.requests.length).toBe(before);
  });

  it('a dead collector changes nothing for the player: the turn is saved, exit 0, no error; --debug says why', async () => {
    const closed = createServer();
    const { port, close } = await listenOnLoopback(closed);
    await close();
    const dir = home({ otlp: { endpoint: `http://127.0.0.1:${port}` } });
    const id = await newStory(dir);
    scriptTurn();
    const r = await luna(['turn', id, 'I open the door'], { home: dir, env: NO_OTEL });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('The stranger lowers his hood.');
    expect(r.stderr).toBe('');

    scriptTurn();
    const d = await luna(['turn', id, 'I close the door', '--debug'], { home: dir, env: NO_OTEL });
    expect(d.exitCode, d.stderr).toBe(0);
    expect(d.stdout).toContain('The stranger lowers his hood.');
    expect(d.stderr).toMatch(/^luna: debug: telemetry: could not send \d+ span\(s\) to http:\/\/127\.0\.0\.1:\d+\/v1\/traces: ECONNREFUSED$/m);
    const db = new Database(path.join(dir, 'luna.db'), { readonly: true });
    expect((db.prepare('SELECT count(*) AS n FROM turns WHERE story_id = ?').get(id) as { n: number }).n).toBe(2);
    db.close();
  });

  it('a collector that never answers: the export gives up after telemetry.otlp.timeoutMs and the turn exits 0', async () => {
    const hung = createServer(() => undefined); // takes the request, never answers
    const { port, close } = await listenOnLoopback(hung);
    try {
      const dir = home({ otlp: { endpoint: `http://127.0.0.1:${port}`, timeoutMs: 300 } });
      const id = await newStory(dir);
      scriptTurn();
      const r = await luna(['turn', id, 'I open the door', '--no-dream', '--debug'], { home: dir, env: NO_OTEL });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain('The stranger lowers his hood.');
      const lines = r.stderr.split('\n').filter(Boolean);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line).toMatch(/^luna: debug: telemetry: could not send \d+ span\(s\) to \S+: no answer within 300 ms$/);
    } finally {
      await close();
    }
  });

  it('luna doctor says where spans go, and warns (without failing) when the collector does not answer', async () => {
    const check = async (endpoint: string) => {
      const r = await luna(['doctor', '--json', '--no-models'], { home: home({ otlp: { endpoint } }), env: NO_OTEL });
      return (JSON.parse(r.stdout).checks as { check: string; status: string; detail: string; fix?: string }[]).find((c) => c.check === 'tracing');
    };
    expect(await check(collector.url)).toMatchObject({ status: 'pass', detail: expect.stringMatching(/^spans go to http:\/\/127\.0\.0\.1:\d+\/v1\/traces as luna \(answered 200 in \d+ms\)$/) });
    const closed = createServer();
    const { port, close } = await listenOnLoopback(closed);
    await close();
    expect(await check(`http://127.0.0.1:${port}`)).toMatchObject({ status: 'warn', detail: expect.stringMatching(/ECONNREFUSED/), fix: expect.stringMatching(/turns are not affected/) });
    const off = await luna(['doctor', '--json', '--no-models'], { home: home(null), env: NO_OTEL });
    expect((JSON.parse(off.stdout).checks as { check: string }[]).some((c) => c.check === 'tracing')).toBe(false);
  });

  it('a bad endpoint in the config is a config error naming the path', async () => {
    const dir = home({ otlp: { endpoint: 'ftp://collector:4318' } });
    const r = await luna(['story', 'list'], { home: dir, env: NO_OTEL });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/telemetry\.otlp\.endpoint: expected an http:\/\/ or https:\/\/ URL, found "ftp:\/\/collector:4318"/);
    // Not a URL at all: still one line for the path, not one per failed check.
    const junk = await luna(['story', 'list'], { home: home({ otlp: { endpoint: 'not-a-url' } }), env: NO_OTEL });
    expect(junk.exitCode).toBe(3);
    expect(junk.stderr.match(/telemetry\.otlp\.endpoint/g)).toHaveLength(1);
  });
});
