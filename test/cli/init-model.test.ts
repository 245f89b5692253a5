import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { luna, ROOT, tempHome } from '../helpers/cli.js';

describe('luna init --model checks the file before writing anything', () => {
  it('refuses a missing GGUF as not found (exit 4) with a hint, and writes no config or database', async () => {
    const home = tempHome('luna-init-model-');
    const missing = path.join(home, 'nope.gguf');
    const r = await luna(['init', '--model', missing], { home });
    expect(r.exitCode, r.stderr).toBe(4);
    expect(r.stderr).toMatch(new RegExp(`^luna: --model: no such file ${missing}$`, 'm'));
    expect(r.stderr).toMatch(/^hint: .*luna models pull/m);
    expect(existsSync(path.join(home, 'luna.yaml'))).toBe(false);
    expect(existsSync(path.join(home, 'luna.db'))).toBe(false);
  });

  it('refuses a folder named like a GGUF as a usage error', async () => {
    const home = tempHome('luna-init-model-');
    const dir = path.join(home, 'models.gguf');
    mkdirSync(dir);
    const r = await luna(['init', '--model', dir], { home });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/found a folder/);
    expect(existsSync(path.join(home, 'luna.yaml'))).toBe(false);
  });

  it('writes the config for a GGUF that exists, by its absolute path', async () => {
    const home = tempHome('luna-init-model-');
    const gguf = path.join(home, 'tiny.gguf');
    writeFileSync(gguf, 'GGUF');
    const r = await luna(['init', '--model', path.relative(ROOT, gguf)], { home });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readFileSync(path.join(home, 'luna.yaml'), 'utf8')).toContain(gguf);
  });
});
