import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Supervisor } from '../../src/serve/supervisor.js';
import { parseSamples } from '../../src/top/prom-text.js';
import { apiFixture, type ApiFixture } from '../api/api-fixture.js';
import { planJson } from '../helpers/pipeline-fixture.js';
import { REPO, makeSandbox, serveConfig, waitFor } from '../serve/helpers.js';

// The dashboard is only worth shipping if its queries name series the code exports: scrape the real
// /metrics of a live `luna api` (after a turn) and a live `luna serve` (fake engines, fake nvidia-smi).
const box = makeSandbox();
let f: ApiFixture;
let sup: Supervisor;
let savedPath: string | undefined;

beforeAll(async () => {
  savedPath = process.env.PATH;
  process.env.PATH = box.env.PATH;
  f = await apiFixture();
  sup = new Supervisor({
    serve: serveConfig({ binaries: { nvidiaSmi: path.join(box.bin, 'nvidia-smi') }, shards: [{ name: 'cpp', engine: 'llamacpp', model: '/m.gguf', gpus: [0] }] }),
    home: f.fx.home, detached: false,
  });
  await sup.start();
}, 60_000);

afterAll(async () => {
  await sup?.stop();
  await f?.close();
  process.env.PATH = savedPath;
  box.cleanup();
});

/** Every name a scrape exports: its samples, and (for series not set yet) its HELP lines with histogram suffixes. */
function exported(text: string): Set<string> {
  const names = new Set(parseSamples(text).map((s) => s.name));
  for (const m of text.matchAll(/^# TYPE (\S+) (\w+)/gm)) {
    names.add(m[1]!);
    if (m[2] === 'histogram') for (const sfx of ['_bucket', '_sum', '_count']) names.add(`${m[1]}${sfx}`);
  }
  return names;
}

describe('configs/grafana/luna.json', () => {
  it('every metric its panels query is exported by luna api or luna serve', async () => {
    f.fx.strategist.setDefault({ kind: 'json', value: planJson() });
    const story = (await (await f.req('POST', '/v1/stories', { body: { title: 'Graphs' } })).json()).id as string;
    expect((await f.req('POST', `/v1/stories/${story}/turns`, { body: { action: 'look' } })).status).toBe(200);
    await waitFor('shard ready and scraped', () => sup.state().shards[0]!.state === 'ready' && sup.state().shards[0]!.tokensPerSec !== null, 30_000);
    const names = new Set([
      ...exported(await (await fetch(`${f.url}/metrics`)).text()),
      ...exported(await (await fetch(`http://127.0.0.1:${sup.port}/metrics`)).text()),
    ]);

    const dash = JSON.parse(readFileSync(path.join(REPO, 'configs/grafana/luna.json'), 'utf8')) as { panels: { type: string; title: string; targets?: { expr: string }[] }[] };
    const graphs = dash.panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThanOrEqual(15);
    const used = new Set<string>();
    for (const p of graphs) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) {
        const metrics = [...t.expr.matchAll(/\b(luna_[a-z0-9_]+)/g)].map((m) => m[1]!);
        expect(metrics.length, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
        for (const m of metrics) {
          used.add(m);
          expect(names.has(m), `${p.title} queries ${m}, which nothing exports`).toBe(true);
        }
      }
    }
    // the panels of luna top that Prometheus can show are all there
    for (const m of ['luna_api_turn_seconds_bucket', 'luna_api_ttft_seconds_bucket', 'luna_api_turns_in_flight_by_tier', 'luna_api_turns_queued', 'luna_api_rate_limited_total', 'luna_shard_up',
      'luna_shard_restarts_total', 'luna_gpu_temperature_celsius', 'luna_gpu_memory_total_mib', 'luna_shard_tokens_per_second', 'luna_api_cost_usd_total']) {
      expect(used.has(m), m).toBe(true);
    }
  }, 90_000);

  it('configs/prometheus.yml scrapes the API and serve ports the docs name', () => {
    const yml = readFileSync(path.join(REPO, 'configs/prometheus.yml'), 'utf8');
    expect(yml).toMatch(/job_name: luna-api[\s\S]*127\.0\.0\.1:8787/);
    expect(yml).toMatch(/job_name: luna-serve[\s\S]*127\.0\.0\.1:9464/);
  });
});
