import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { allMissingModelFiles } from '../../src/config/model-files.js';
import { ConfigError, ModelError } from '../../src/errors.js';
import { luna } from '../helpers/cli.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'luna-model-files-'));

describe('missing model files are named all at once', () => {
  const cfg = (home: string) => {
    writeFileSync(path.join(home, 'luna.yaml'), stringify({
      models: { a: { provider: 'local', path: '/nope/a.gguf' }, b: { provider: 'local', path: '/nope/b.gguf' } },
      agents: { preprocessor: { model: 'a' }, strategist: { model: 'a' }, writer: { model: 'b' }, dreamer: { model: 'b' } },
    }));
    return loadConfig({ home, env: {} }).config;
  };

  it('a failure on one missing file becomes one error listing every missing file, keeping the attempts for the ledger', () => {
    const config = cfg(tmp());
    const failed = Object.assign(new ModelError('all models for strategist failed: a: GGUF file not found: /nope/a.gguf'), { calls: [{ model: 'a' }] });
    const err = allMissingModelFiles(failed, config) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe('model files not found: a (strategist): /nope/a.gguf; b (writer, dreamer): /nope/b.gguf');
    expect(err.hint).toContain('models.a.path, models.b.path');
    expect((err as unknown as { calls: unknown }).calls).toEqual([{ model: 'a' }]);
    const other = new ModelError('a: HTTP 500');
    expect(allMissingModelFiles(other, config)).toBe(other);
  });

  it('luna turn names both agents\' files (it named only the Strategist\'s)', async () => {
    const home = tmp();
    cfg(home);
    const made = await luna(['story', 'new', '-t', 'M', '-p', 'p', '--json'], { home });
    const r = await luna(['turn', JSON.parse(made.stdout).id, 'go'], { home });
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^luna: model files not found: a \(strategist\): \/nope\/a\.gguf; b \(writer, dreamer\): \/nope\/b\.gguf$/m);
  });
});
