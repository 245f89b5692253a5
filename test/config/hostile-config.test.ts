import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'luna-hostile-config-'));

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('config errors name the key, the choices and what was found', () => {
  it('an unknown provider (it read "expected Invalid discriminator value…, found a mapping")', () => {
    const home = tmp();
    writeFileSync(path.join(home, 'luna.yaml'), stringify({ models: { x: { provider: 'foo', model: 'm' }, y: { model: 'm' } } }));
    const err = configError(() => loadConfig({ home, env: {} }));
    expect(err.message).toContain('models.x.provider: expected one of local|openai-compatible|anthropic, found "foo"');
    expect(err.message).toContain('models.y.provider: expected one of local|openai-compatible|anthropic, found nothing');
    expect(err.message).not.toMatch(/Invalid discriminator|a mapping/);
  });

  it.each(['abc', '12abc', '-5', '0', '1.5', ' '])('LUNA_CONTEXT_BUDGET=%j names the variable', (value) => {
    const err = configError(() => loadConfig({ home: tmp(), env: { LUNA_CONTEXT_BUDGET: value } }));
    if (value.trim() === '') return;
    expect(err.message).toBe(`LUNA_CONTEXT_BUDGET (sets context.budgetTokens): expected a whole number of tokens ≥ 1, found "${value}"`);
    expect(err.hint).toMatch(/LUNA_CONTEXT_BUDGET=3000\), or unset it/);
  });

  it('a good LUNA_CONTEXT_BUDGET still applies', () => {
    expect(loadConfig({ home: tmp(), env: { LUNA_CONTEXT_BUDGET: '4096' } }).config.context.budgetTokens).toBe(4096);
  });
});
