import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * End-to-end tests run the built CLI (bin/luna → dist/). `npm test` builds first; a lone `vitest run`
 * builds here once when any source is newer than the build, so no test file builds on its own (a build
 * racing with a spawned CLI reading dist/ is how e2e tests flake).
 */
const ROOT = path.resolve(__dirname, '..');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Every temp home, database file and download a test makes goes under one folder for the run (TMPDIR, which
 * os.tmpdir() and mktemp read, is inherited by the test workers and the CLIs they spawn), removed at the end:
 * test runs leave nothing behind in /tmp, and two runs never share one.
 */
function isolateTmp(): () => void {
  const dir = mkdtempSync(path.join(tmpdir(), 'luna-test-run-'));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}

export default function setup(): () => void {
  buildIfStale();
  return isolateTmp();
}

function buildIfStale(): void {
  const marker = path.join(ROOT, 'dist/src/cli/main.js');
  const built = existsSync(marker) ? statSync(marker).mtimeMs : 0;
  if (built >= Math.max(newest(path.join(ROOT, 'src')), newest(path.join(ROOT, 'bench')))) return;
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
  } catch (err) {
    // A type error still emits JavaScript; only a missing entry point stops the e2e tests.
    if (!existsSync(marker)) throw err;
  }
  // Same second step as `npm run build`: `luna play` loads the bundled TUI, which must match dist/.
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/bundle-tui.mjs')], { cwd: ROOT, stdio: 'pipe' });
}
