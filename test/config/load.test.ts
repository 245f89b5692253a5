import { mkdtempSync, writeFileSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { writeStarterConfig } from '../../src/config/starter.js';
import { ConfigError, ExitCode } from '../../src/errors.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'luna-config-'));

function write(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('config loading', () => {
  it('uses the built-in defaults when there is no user config', () => {
    const home = tmp();
    const { config, files } = loadConfig({ home, env: {} });
    expect(files).toHaveLength(1);
    expect(config.agents.writer.model).toBe('demo');
    const demo = config.models.demo;
    expect(demo?.provider).toBe('local');
    // {home} expands to the data dir so `luna models pull demo` and the default config agree.
    expect(demo && 'path' in demo ? demo.path : '').toBe(path.join(home, 'models', 'stories260K.gguf'));
    expect(config.context.budgetTokens).toBe(3000);
  });

  it('layers user config, --config and env in that order, resolving model paths against their file', () => {
    const home = tmp();
    write(home, 'luna.yaml', 'context:\n  budgetTokens: 2000\n  recentTurns: 5\n');
    const extra = tmp();
    const file = write(extra, 'extra.yaml', [
      'models:',
      '  tiny: { provider: local, path: ../models/stories260K.gguf, threads: 2 }',
      'agents:',
      '  writer: { model: tiny }',
      'context:',
      '  budgetTokens: 2500',
    ].join('\n'));
    const { config, files } = loadConfig({ home, configFile: file, env: { LUNA_DATABASE_URL: 'sqlite:/tmp/x.db', LUNA_THREADS: '3' } });
    expect(files).toHaveLength(3);
    expect(config.context.budgetTokens).toBe(2500);
    expect(config.context.recentTurns).toBe(5);
    expect(config.database.url).toBe('sqlite:/tmp/x.db');
    const tiny = config.models.tiny;
    expect(tiny?.provider === 'local' && tiny.path).toBe(path.resolve(extra, '../models/stories260K.gguf'));
    expect(tiny?.provider === 'local' && tiny.threads).toBe(3);
    // Mappings merge: the default writer maxTokens survives the user's model switch.
    expect(config.agents.writer).toMatchObject({ model: 'tiny', maxTokens: 120 });
  });

  it('--database-url beats LUNA_DATABASE_URL', () => {
    const { config } = loadConfig({ home: tmp(), databaseUrl: 'postgres://a@127.0.0.1/test', env: { LUNA_DATABASE_URL: 'sqlite:/tmp/y.db' } });
    expect(config.database.url).toBe('postgres://a@127.0.0.1/test');
  });

  it('reports every wrong path with what was expected and what was found', () => {
    const home = tmp();
    write(home, 'luna.yaml', ['context:', '  budgetTokens: lots', '  recentTurnz: 2', 'models:', '  m: { provider: local }'].join('\n'));
    let err: unknown;
    try {
      loadConfig({ home, env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.exitCode).toBe(ExitCode.config);
    expect(e.message).toContain('context.budgetTokens: expected number, found "lots"');
    expect(e.message).toContain('context: unknown key "recentTurnz"');
    expect(e.message).toContain('models.m.path');
    expect(e.message).toContain(path.join(home, 'luna.yaml'));
    expect(e.hint).toMatch(/luna\.example\.yaml/);
  });

  it('points at the line of broken YAML', () => {
    const home = tmp();
    write(home, 'luna.yaml', 'context:\n  budgetTokens: 100\n   recentTurns: [1\n');
    expect(() => loadConfig({ home, env: {} })).toThrowError(/luna\.yaml:\d+:\d+: invalid YAML/);
  });

  it('rejects an agent pointing at an unknown model and lists the known ones', () => {
    const home = tmp();
    write(home, 'luna.yaml', 'agents:\n  strategist: { model: haiku, fallbacks: [nope] }\n');
    try {
      loadConfig({ home, env: {} });
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).message).toContain('agents.strategist: expected a model named in models:, found "haiku"');
      expect((e as ConfigError).message).toContain('found "nope"');
      expect((e as ConfigError).hint).toContain('demo');
    }
  });

  it('rejects a bad LUNA_THREADS', () => {
    expect(() => loadConfig({ home: tmp(), env: { LUNA_THREADS: 'many' } })).toThrowError(/LUNA_THREADS/);
    try {
      loadConfig({ home: tmp(), env: { LUNA_THREADS: '-3' } });
    } catch (err) {
      expect((err as ConfigError).hint).toMatch(/LUNA_THREADS=1\), or unset it/);
    }
    expect.assertions(2);
  });

  it('writes the starter config with mode 0600 and never clobbers an existing one', () => {
    const home = tmp();
    const first = writeStarterConfig(home, { kind: 'gguf', path: '/models/x.gguf', threads: 2 });
    expect(first.written).toBe(true);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    const { config } = loadConfig({ home, env: {} });
    expect(config.agents.strategist.model).toBe('main');
    const main = config.models.main;
    expect(main?.provider === 'local' && main.threads).toBe(2);
    const again = writeStarterConfig(home, { kind: 'demo' });
    expect(again.written).toBe(false);
    expect(readFileSync(first.file, 'utf8')).toContain('/models/x.gguf');
  });

  it('every starter variant loads cleanly', () => {
    for (const choice of [
      { kind: 'demo' as const },
      { kind: 'openai' as const, baseUrl: 'http://127.0.0.1:1234/v1', model: 'qwen' },
      { kind: 'anthropic' as const, model: 'claude-haiku-4-5' },
    ]) {
      const home = tmp();
      writeStarterConfig(home, choice);
      expect(() => loadConfig({ home, env: {} })).not.toThrow();
    }
  });

  it('the shipped example config is valid', () => {
    const home = tmp();
    const example = path.resolve('configs/luna.example.yaml');
    const { config } = loadConfig({ home, configFile: example, env: {} });
    expect(Object.keys(config.models)).toEqual(expect.arrayContaining(['tiny', 'lmstudio', 'haiku']));
  });
});
