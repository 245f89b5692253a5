import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { BIN, luna, tempHome } from '../helpers/cli.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';
import { planJson } from '../helpers/pipeline-fixture.js';

let home: string;
let id: string;

beforeAll(async () => {
  home = tempHome('luna-stdout-');
  const r = await luna(['story', 'new', '-t', 'Harbour', '-p', 'Maren keeps the light', '--json'], { home });
  expect(r.exitCode, r.stderr).toBe(0);
  id = JSON.parse(r.stdout).id;
}, 60_000);

describe('stdout that cannot be written', () => {
  let server: LoopbackServer;
  let config: string;
  beforeAll(async () => {
    server = await startOpenAIServer();
    config = path.join(home, 'loop.yaml');
    writeFileSync(config, stringify({
      models: { loop: { provider: 'openai-compatible', baseUrl: server.baseUrl, model: 'loop-1', maxRetries: 0, price: { inputPerMTok: 1, outputPerMTok: 5 } } },
      agents: { preprocessor: { model: 'loop' }, strategist: { model: 'loop' }, writer: { model: 'loop' }, dreamer: { model: 'loop', inProcess: false } },
    }));
  });
  afterAll(async () => {
    await server.close();
  });

  const sh = (cmd: string) => execa('bash', ['-c', cmd], { env: { LUNA_HOME: home, NO_COLOR: '1' }, reject: false });

  it('story list > /dev/full exits non-zero with one line on stderr, no stack', async () => {
    for (const args of ['story list', 'story list --json', 'story show ' + id]) {
      const r = await sh(`node ${JSON.stringify(BIN)} ${args} > /dev/full`);
      expect(r.exitCode, r.stderr).toBe(1);
      expect(r.stderr.trim()).toBe('luna: cannot write to standard output: no space left on device (ENOSPC); the output is incomplete');
    }
  });

  it('a turn whose stdout is full still commits, calls and all', async () => {
    server.script({ kind: 'json', value: planJson() }, { kind: 'text', chunks: ['Maren ', 'lights the lamp.'] });
    const r = await sh(`node ${JSON.stringify(BIN)} --config ${JSON.stringify(config)} turn ${id} "light it" > /dev/full`);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^luna: cannot write to standard output: no space left on device/m);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+|Unhandled/);
    const show = JSON.parse((await luna(['story', 'show', id, '--json'], { home })).stdout);
    expect(show.turns.map((t: { prose: string }) => t.prose)).toEqual(['Maren lights the lamp.']);
    const report = JSON.parse((await luna(['cost', 'report', '--story', id, '--json'], { home })).stdout);
    expect(report.total.calls).toBe(2);
  });

  it('a full stderr too still ends with a non-zero code and no crash', async () => {
    const r = await sh(`node ${JSON.stringify(BIN)} story list > /dev/full 2>/dev/full; echo "luna=$?"`);
    expect(r.stdout).toContain('luna=1');
  });
});
