import { execa } from 'execa';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { BIN, luna, tempHome } from '../helpers/cli.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';
import { planJson } from '../helpers/pipeline-fixture.js';

let home: string;
let config: string;
let server: LoopbackServer;

beforeAll(async () => {
  home = tempHome();
  server = await startOpenAIServer();
  server.setDefault({ kind: 'text', chunks: ['The tide ', 'turns.'] });
  config = path.join(home, 'e2e.yaml');
  writeFileSync(
    config,
    stringify({
      models: { loop: { provider: 'openai-compatible', baseUrl: server.baseUrl, model: 'loop-1', maxRetries: 0, price: { inputPerMTok: 1, outputPerMTok: 5 } } },
      agents: { preprocessor: { model: 'loop' }, strategist: { model: 'loop' }, writer: { model: 'loop' }, dreamer: { model: 'loop', inProcess: false } },
    }),
  );
});
afterAll(async () => {
  await server.close();
});

describe('luna as a user runs it', () => {
  it('init writes a 0600 config and a migrated database; migrate status and doctor agree', async () => {
    const h = tempHome();
    const init = await luna(['init'], { home: h });
    expect(init.exitCode, init.stderr).toBe(0);
    expect(statSync(path.join(h, 'luna.yaml')).mode & 0o777).toBe(0o600);
    expect(existsSync(path.join(h, 'luna.db'))).toBe(true);
    const status = await luna(['migrate', 'status', '--json'], { home: h });
    expect(status.exitCode).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(s.current).toBe(s.latest);
    const doctor = await luna(['doctor', '--json', '--no-models'], { home: h });
    const d = JSON.parse(doctor.stdout);
    expect(d.checks.find((c: { check: string }) => c.check === 'database').status).toBe('pass');
  });

  it('plays, views context, undoes, exports and re-imports a story', async () => {
    const created = await luna(['--config', config, 'story', 'new', '--title', 'Harbour', '--premise', 'Maren keeps the light', '--json'], { home });
    expect(created.exitCode, created.stderr).toBe(0);
    const id = JSON.parse(created.stdout).id as string;

    server.script({ kind: 'json', value: planJson() });
    const turn = await luna(['--config', config, 'turn', id, 'I', 'light', 'the', 'lamp'], { home });
    expect(turn.exitCode, turn.stderr).toBe(0);
    expect(turn.stdout.trim()).toBe('The tide turns.');

    server.script({ kind: 'json', value: planJson({ factChanges: [] }) });
    const json = await luna(['--config', config, 'turn', id.slice(0, 8), 'I wait', '--json'], { home });
    expect(json.exitCode, json.stderr).toBe(0);
    const t = JSON.parse(json.stdout);
    expect(t.turn.depth).toBe(2);
    expect(t.plan.beats.length).toBeGreaterThan(0);
    expect(t.totals.costUsd).toBeGreaterThan(0);
    expect(t.context.sections.length).toBeGreaterThan(0);

    const ctx = await luna(['--config', config, 'context', id, '--action', 'Maren climbs the tower', '--json'], { home });
    const c = JSON.parse(ctx.stdout);
    expect(c.entitiesInPlay).toContain('Maren');
    expect(c.totalTokens).toBeLessThanOrEqual(c.budgetTokens);

    const undo = await luna(['--config', config, 'turn', id, '--undo', '--json'], { home });
    expect(JSON.parse(undo.stdout).depth).toBe(1);

    const out = path.join(home, 'harbour.json');
    const exp = await luna(['--config', config, 'story', 'export', id, '-o', out], { home });
    expect(exp.exitCode, exp.stderr).toBe(0);
    const bundle = JSON.parse(readFileSync(out, 'utf8'));
    expect(bundle.turns).toHaveLength(1);
    expect(bundle.branches).toHaveLength(1); // the undone turn survives as a branch
    const imp = await luna(['--config', config, 'story', 'import', out, '--json'], { home });
    expect(imp.exitCode, imp.stderr).toBe(0);
    expect(JSON.parse(imp.stdout).turns).toBe(2);

    const list = await luna(['--config', config, 'story', 'list', '--json'], { home });
    expect(JSON.parse(list.stdout)).toHaveLength(2);
    const del = await luna(['--config', config, 'story', 'delete', id], { home });
    expect(del.exitCode).toBe(2);
    expect(del.stderr).toContain('--yes');
  });

  it('luna turn runs the queued Dreamer jobs in-process after the prose; --no-dream leaves them queued', async () => {
    const h = tempHome();
    const cfg = path.join(h, 'dream.yaml');
    writeFileSync(
      cfg,
      stringify({
        models: { loop: { provider: 'openai-compatible', baseUrl: server.baseUrl, model: 'loop-1', maxRetries: 0 } },
        agents: { preprocessor: { model: 'loop' }, strategist: { model: 'loop' }, writer: { model: 'loop' }, dreamer: { model: 'loop', arcEvery: 2 } },
      }),
    );
    const s = await luna(['--config', cfg, 'story', 'new', '-t', 'Dreams', '-p', 'Maren sleeps', '--json'], { home: h });
    const sid = JSON.parse(s.stdout).id as string;
    server.script({ kind: 'json', value: planJson({ factChanges: [] }) });
    expect((await luna(['--config', cfg, 'turn', sid, 'I sleep', '--no-dream'], { home: h })).exitCode).toBe(0);
    let jobs = JSON.parse((await luna(['--config', cfg, 'jobs', '--json'], { home: h })).stdout);
    expect(jobs.counts.queued).toBeGreaterThan(0);
    expect(jobs.counts.done).toBe(0);
    server.script({ kind: 'json', value: planJson({ factChanges: [] }) });
    expect((await luna(['--config', cfg, 'turn', sid, 'I dream'], { home: h })).exitCode).toBe(0);
    jobs = JSON.parse((await luna(['--config', cfg, 'jobs', '--json'], { home: h })).stdout);
    expect(jobs.counts.queued).toBe(0);
    expect(jobs.counts.done).toBeGreaterThanOrEqual(3);
    const show = JSON.parse((await luna(['--config', cfg, 'story', 'show', sid, '--json'], { home: h })).stdout);
    expect(show.arcs.some((a: { kind: string; toDepth: number }) => a.kind === 'arc' && a.toDepth === 2)).toBe(true);
  });

  it('bad input: one clear line, a hint, a distinct exit code, nothing half-written', async () => {
    const h = tempHome();
    writeFileSync(path.join(h, 'luna.yaml'), 'context:\n  budgetTokens: [\n');
    const yaml = await luna(['story', 'list'], { home: h });
    expect(yaml.exitCode).toBe(3);
    expect(yaml.stderr).toMatch(/^luna: .*luna\.yaml:\d+:\d+: invalid YAML/m);
    expect(yaml.stderr).toMatch(/^hint: /m);
    expect(yaml.stderr).not.toMatch(/at .*\.js:\d+/); // no stack without --debug

    const unknown = await luna(['--config', config, 'turn', 'no-such-story', 'hi'], { home });
    expect(unknown.exitCode).toBe(4);

    const keyless = tempHome();
    writeFileSync(path.join(keyless, 'luna.yaml'), stringify({ models: { h: { provider: 'anthropic', model: 'claude-haiku-4-5' } }, agents: { strategist: { model: 'h' } } }));
    const s = await luna(['story', 'new', '-t', 'x', '-p', 'y', '--json'], { home: keyless });
    const sid = JSON.parse(s.stdout).id;
    const noKey = await luna(['turn', sid, 'go'], { home: keyless, env: { ANTHROPIC_API_KEY: '' } });
    expect(noKey.exitCode).toBe(7); // an auth problem, not a flaky endpoint…
    expect(noKey.stderr).toContain('ANTHROPIC_API_KEY'); // …and it names the variable
    const turns = await luna(['story', 'show', sid, '--json'], { home: keyless });
    expect(JSON.parse(turns.stdout).turnCount).toBe(0);

    const usage = await luna(['story', 'nope'], { home: h });
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr).toMatch(/^luna: unknown command 'nope'/m);
    expect(usage.stderr).toMatch(/^hint: luna story --help shows its arguments and options$/m);
    // A missing argument or option value names the command whose help has the right form, option values skipped.
    const missing = await luna(['--home', h, 'entity', 'add'], { home: h });
    expect([missing.exitCode, missing.stderr]).toEqual([2, "luna: missing required argument 'story'\nhint: luna entity add --help shows its arguments and options"]);
    expect((await luna(['--bogus'], { home: h })).stderr).toMatch(/^hint: luna --help lists the commands$/m);
    // Help never reads the config, so it still works while luna.yaml is broken.
    const help = await luna(['--help'], { home: h });
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Usage: luna');
  });
});

describe('output into a closed pipe', () => {
  it('exits 0 without a stack when the reader has gone (luna … | head)', async () => {
    // `true` never reads and exits at once, so every write luna makes hits a closed pipe (EPIPE).
    const r = await execa('bash', ['-c', `node ${JSON.stringify(BIN)} --help | true; echo "luna=\${PIPESTATUS[0]}"`], {
      env: { LUNA_HOME: tempHome(), NO_COLOR: '1' }, reject: false,
    });
    expect(r.stdout).toContain('luna=0');
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
  });

  it('a turn piped into a reader that stops early still commits, with its calls in the ledger', async () => {
    const created = await luna(['--config', config, 'story', 'new', '--title', 'Pipe', '--premise', 'p', '--json'], { home });
    const id = JSON.parse(created.stdout).id as string;
    // head reads the first 5 bytes and leaves while the Writer is still streaming: later writes hit EPIPE.
    server.script({ kind: 'json', value: planJson() }, { kind: 'text', chunks: ['Maren walks ', 'down to ', 'the quay ', 'at dawn.'], delayMs: 150 });
    const r = await execa('bash', ['-c', `node ${JSON.stringify(BIN)} --config ${JSON.stringify(config)} turn ${id} "walk" | head -c 5; echo; echo "luna=\${PIPESTATUS[0]}"`], {
      env: { LUNA_HOME: home, NO_COLOR: '1' }, reject: false,
    });
    expect(r.stdout).toMatch(/^Maren\n/);
    expect(r.stdout).toContain('luna=0');
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    const show = await luna(['--config', config, 'story', 'show', id, '--json'], { home });
    expect(show.exitCode, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout).turns.map((t: { prose: string }) => t.prose)).toEqual(['Maren walks down to the quay at dawn.']);
    const report = await luna(['--config', config, 'cost', 'report', '--story', id, '--json'], { home });
    expect(report.exitCode, report.stderr).toBe(0);
    expect(JSON.parse(report.stdout).total.calls).toBe(2);
  });
});
