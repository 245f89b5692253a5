import { execa } from 'execa';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Builds dist/ when the cost sources are newer than it (`npm test` builds first anyway). Tolerant: tsc still
 * emits when another module has a type error, which must not block these tests.
 */
export async function ensureBuilt(): Promise<void> {
  const built = path.join(ROOT, 'dist', 'src', 'commands', 'cost', 'report.js');
  const src = Math.max(newest(path.join(ROOT, 'src', 'cost')), newest(path.join(ROOT, 'src', 'commands', 'cost')));
  if (existsSync(built) && statSync(built).mtimeMs >= src) return;
  await execa('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, reject: false });
}
