import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startAnthropicServer } from '../helpers/anthropic-server.js';
import { luna, tempHome } from '../helpers/cli.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';

interface Check {
  check: string;
  status: string;
  detail: string;
  fix?: string;
}

async function doctor(home: string, env: Record<string, string> = {}, ...flags: string[]): Promise<Check[]> {
  const r = await luna(['doctor', '--json', ...flags], { home, env });
  expect(r.exitCode, r.stderr).toBe(1);
  return JSON.parse(r.stdout).checks;
}
function find(checks: Check[], name: string): Check {
  const c = checks.find((x) => x.check === name);
  expect(c, JSON.stringify(checks)).toBeDefined();
  return c!;
}

describe('luna doctor blames the environment variable, not luna.yaml', () => {
  it('LUNA_THREADS', async () => {
    const c = find(await doctor(tempHome('luna-doctor-'), { LUNA_THREADS: '-3' }, '--no-models'), 'config');
    expect(c.status).toBe('fail');
    expect(c.fix).toMatch(/environment variable LUNA_THREADS/);
    expect(c.fix).not.toMatch(/fix luna\.yaml/);
  });

  it('LUNA_CONTEXT_BUDGET, whose error names the key it sets', async () => {
    const c = find(await doctor(tempHome('luna-doctor-'), { LUNA_CONTEXT_BUDGET: 'lots' }, '--no-models'), 'config');
    expect(c.detail).toMatch(/context\.budgetTokens/);
    expect(c.fix).toMatch(/environment variable LUNA_CONTEXT_BUDGET/);
  });

  it('still says luna.yaml when the file is the problem', async () => {
    const home = tempHome('luna-doctor-');
    writeFileSync(path.join(home, 'luna.yaml'), stringify({ context: { budgetTokens: 'lots' } }));
    const c = find(await doctor(home, {}, '--no-models'), 'config');
    expect(c.fix).not.toMatch(/environment variable/);
    expect(c.fix).toMatch(/fix the keys named above/);
  });
});

describe('luna doctor on a fresh home', () => {
  it('a SQLite database not yet created passes: it migrates itself on first use (no "run luna migrate up")', async () => {
    const r = await luna(['doctor', '--json', '--no-models'], { home: tempHome('luna-doctor-fresh-') });
    expect(r.exitCode, r.stderr).toBe(0);
    const c = find(JSON.parse(r.stdout).checks as Check[], 'database');
    expect(c).toMatchObject({ status: 'pass', detail: expect.stringMatching(/^sqlite, schema 0\/\d+: migrates itself on first use$/) });
    expect(c.fix).toBeUndefined();
  });
});

// The loopback servers answer a wrong key with each provider's real 401 body.
describe('luna doctor on a model whose API key is missing or rejected', () => {
  let openai: LoopbackServer;
  let anthropic: LoopbackServer;
  let home: string;

  beforeAll(async () => {
    openai = await startOpenAIServer({ apiKey: 'sk-right-openai-key' });
    anthropic = await startAnthropicServer({ apiKey: 'sk-ant-right-key' });
    home = tempHome('luna-doctor-keys-');
    // Variable names of our own, so keys in the developer's environment cannot change the outcome.
    writeFileSync(path.join(home, 'luna.yaml'), stringify({
      models: {
        loop: { provider: 'openai-compatible', baseUrl: openai.baseUrl, model: 'test-model', apiKeyEnv: 'LUNA_TEST_OPENAI_KEY', maxRetries: 0 },
        claude: { provider: 'anthropic', baseUrl: anthropic.baseUrl, model: 'claude-haiku-4-5-20251001', apiKeyEnv: 'LUNA_TEST_ANTHROPIC_KEY', maxRetries: 0 },
      },
      agents: { preprocessor: { model: 'loop' }, strategist: { model: 'claude' }, writer: { model: 'loop' }, dreamer: { model: 'loop' } },
    }));
  });
  afterAll(async () => {
    await openai.close();
    await anthropic.close();
  });

  it('a rejected key names its variable and says it was rejected, not to start the server or set it', async () => {
    const checks = await doctor(home, { LUNA_TEST_OPENAI_KEY: 'sk-wrong-openai-key', LUNA_TEST_ANTHROPIC_KEY: 'sk-ant-wrong-key' });
    const loop = find(checks, 'model loop');
    expect(loop.status).toBe('fail');
    expect(loop.detail).toMatch(/^HTTP 401 invalid_api_key/);
    expect(loop.fix).toMatch(/the key in LUNA_TEST_OPENAI_KEY was rejected \(401\): check it/);
    expect(loop.fix).toMatch(/models\.loop\.apiKeyEnv/);
    expect(loop.fix).not.toMatch(/start the server|fix the URL/);

    const claude = find(checks, 'model claude');
    expect(claude.status).toBe('fail');
    expect(claude.detail).toMatch(/HTTP 401 authentication_error: invalid x-api-key/);
    expect(claude.fix).toMatch(/the key in LUNA_TEST_ANTHROPIC_KEY was rejected \(401\): check it/);
    expect(claude.fix).not.toMatch(/^set /);
    expect(JSON.stringify(checks)).not.toContain('wrong-key'); // a key never reaches the report
  });

  it('a missing key says which variable to export; a loopback server that wants one says so', async () => {
    const checks = await doctor(home, { LUNA_TEST_OPENAI_KEY: '', LUNA_TEST_ANTHROPIC_KEY: '' });
    // No key is required on a private address, so the request goes out keyless and the server refuses it.
    expect(find(checks, 'model loop').fix).toMatch(/^the server wants an API key: export LUNA_TEST_OPENAI_KEY=/);
    const claude = find(checks, 'model claude');
    expect(claude.detail).toMatch(/LUNA_TEST_ANTHROPIC_KEY is not set/);
    expect(claude.fix).toMatch(/^export LUNA_TEST_ANTHROPIC_KEY=/);
  });

  it('a key refused for the model (403) says to check its permissions', async () => {
    anthropic.scriptRoute('models', { kind: 'error', status: 403 });
    const checks = await doctor(home, { LUNA_TEST_OPENAI_KEY: 'sk-right-openai-key', LUNA_TEST_ANTHROPIC_KEY: 'sk-ant-right-key' });
    expect(find(checks, 'model loop').status).toBe('pass');
    const claude = find(checks, 'model claude');
    expect(claude.detail).toMatch(/HTTP 403 permission_error/);
    expect(claude.fix).toMatch(/the key in LUNA_TEST_ANTHROPIC_KEY was refused for this model \(403\): check its permissions/);
  });

  it('an unreachable server is still about the server', async () => {
    const h = tempHome('luna-doctor-down-');
    // Port 1: nothing listens there.
    writeFileSync(path.join(h, 'luna.yaml'), stringify({
      models: { loop: { provider: 'openai-compatible', baseUrl: 'http://127.0.0.1:1/v1', model: 'm', apiKeyEnv: 'LUNA_TEST_OPENAI_KEY', maxRetries: 0 } },
      agents: { preprocessor: { model: 'loop' }, strategist: { model: 'loop' }, writer: { model: 'loop' }, dreamer: { model: 'loop' } },
    }));
    expect(find(await doctor(h), 'model loop').fix).toBe('start the server at models.loop.baseUrl or fix the URL');
  });
});
