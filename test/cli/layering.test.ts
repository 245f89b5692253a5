import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Commands, the CLI helpers, the TUI and the HTTP API are the only layers that render; everything else returns
 * data or throws LunaErrors. The pipeline core also stays free of terminal and CLI libraries.
 */

const SRC = path.resolve(__dirname, '../../src');
const RENDERERS = ['commands', 'cli', 'tui', 'api'];
// a separate process's entry point: the engine it runs logs to its own stdout, which the supervisor captures
const EXEMPT = ['serve/local-engine/main.ts'];

const OUTPUT_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"][^'"]*\bcli\/output(?:\.js)?['"]/;
const STD_STREAM = /\bprocess\s*\.\s*(?:stdout|stderr)\b/;
// a call, so text such as 'https://console.vast.ai' is not one
const CONSOLE = /(?<![\w$./])console\s*\.\s*[A-Za-z]+\s*\(/;
const UI_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"](?:ink(?:-[\w-]+)?|react|ora|cli-table3|commander)(?:\/[^'"]*)?['"]/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

const rel = (file: string) => path.relative(SRC, file).split(path.sep).join('/');
const isComment = (line: string) => /^\s*(?:\/\/|\/\*|\*)/.test(line);

/** `file:line: what` for each line matching one of the rules. */
function violations(file: string, text: string, rules: [RegExp, string][]): string[] {
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (isComment(line)) return;
    for (const [re, what] of rules) if (re.test(line)) out.push(`src/${file}:${i + 1}: ${what}: ${line.trim()}`);
  });
  return out;
}

const PRINT_RULES: [RegExp, string][] = [
  [OUTPUT_IMPORT, 'imports cli/output'],
  [STD_STREAM, 'writes to process.stdout/stderr'],
  [CONSOLE, 'calls console.*'],
];

describe('layering', () => {
  const files = sourceFiles(SRC).map((f) => ({ file: rel(f), text: readFileSync(f, 'utf8') }));

  it('finds the source tree', () => {
    expect(files.some((f) => f.file === 'pipeline/index.ts' || f.file.startsWith('pipeline/'))).toBe(true);
    expect(files.some((f) => f.file.startsWith('commands/'))).toBe(true);
  });

  it('only commands, cli, tui and api print or import cli/output', () => {
    const bad = files
      .filter((f) => !RENDERERS.includes(f.file.split('/')[0]!) && !EXEMPT.includes(f.file))
      .flatMap((f) => violations(f.file, f.text, PRINT_RULES));
    expect(bad, `these files render outside src/commands, src/cli, src/tui and src/api:\n${bad.join('\n')}`).toEqual([]);
  });

  it('the pipeline core imports no terminal or CLI library', () => {
    const bad = files
      .filter((f) => f.file.startsWith('pipeline/'))
      .flatMap((f) => violations(f.file, f.text, [[UI_IMPORT, 'imports ink/react/ora/cli-table3/commander']]));
    expect(bad, `the pipeline must stay free of UI libraries:\n${bad.join('\n')}`).toEqual([]);
  });

  it('the rules catch what they are meant to, and not URLs or comments', () => {
    const check = (text: string, rules = PRINT_RULES) => violations('x.ts', text, rules).length;
    expect(check("import { printJson } from '../cli/output.js';")).toBe(1);
    expect(check("const { progress } = await import('../../cli/output.js');")).toBe(1);
    expect(check('process.stderr.write(`x\\n`);')).toBe(1);
    expect(check('  if (process.stdout.isTTY) draw();')).toBe(1);
    expect(check("console.log('hi');")).toBe(1);
    expect(check("const base = 'https://console.vast.ai';")).toBe(0);
    expect(check('// never writes to process.stdout: commands render')).toBe(0);
    expect(check("import { formatDuration } from '../util/format.js';")).toBe(0);
    expect(check("import { Box } from 'ink';", [[UI_IMPORT, 'ui']])).toBe(1);
    expect(check("import { jsx } from 'react/jsx-runtime';", [[UI_IMPORT, 'ui']])).toBe(1);
    expect(check("const { default: ora } = await import('ora');", [[UI_IMPORT, 'ui']])).toBe(1);
    expect(check("import type { Command } from 'commander';", [[UI_IMPORT, 'ui']])).toBe(1);
    expect(check("import { oracle } from './oracle.js';", [[UI_IMPORT, 'ui']])).toBe(0);
  });
});
