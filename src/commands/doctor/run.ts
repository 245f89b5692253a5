import type { GlobalOptions } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';
import { ExitCode } from '../../errors.js';
import { runChecks } from './checks.js';

export async function run(opts: { models: boolean }, g: GlobalOptions): Promise<void> {
  const results = await runChecks(g, { models: opts.models });
  const failed = results.filter((r) => r.status === 'fail').length;
  if (g.json) printJson({ ok: failed === 0, checks: results });
  else {
    const mark = { pass: 'ok', warn: 'warn', fail: 'FAIL' } as const;
    await printTable(['check', 'status', 'detail', 'fix'], results.map((r) => [r.check, mark[r.status], r.detail, r.fix ?? '']));
    process.stdout.write(failed ? `${failed} check${failed > 1 ? 's' : ''} failed\n` : 'all checks passed\n');
  }
  if (failed) process.exitCode = ExitCode.failure;
}
