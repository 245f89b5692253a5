import { createInterface } from 'node:readline/promises';
import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { CancelledError, UsageError } from '../../errors.js';
import { assertKnownVersion, parseVersion } from './parse.js';

export async function run(opts: { to: string; yes?: boolean }, g: GlobalOptions): Promise<void> {
  const to = parseVersion(opts.to, '--to')!;
  await withStore(
    g,
    async (store) => {
      const s = await store.migrationStatus();
      assertKnownVersion(to, s.latest, 'roll back');
      const undo = s.migrations.filter((m) => m.appliedAt !== null && m.version > to).sort((a, b) => b.version - a.version);
      if (undo.length > 0 && !opts.yes) {
        if (!process.stdin.isTTY) {
          throw new UsageError(`refusing to roll back ${undo.length} migration(s) without confirmation`, { hint: 'pass --yes to roll back non-interactively' });
        }
        const list = undo.map((m) => `${m.version}_${m.name}`).join(', ');
        if (!(await ask(`Roll back ${list}? Data in the dropped tables is lost.`))) throw new CancelledError('rollback cancelled');
      }
      const reverted = await store.migrateDown(to);
      const after = await store.migrationStatus();
      if (g.json) printJson({ dialect: store.dialect, from: s.current, to: after.current, latest: after.latest, reverted });
      else if (reverted.length === 0) process.stdout.write(`already at version ${after.current}; nothing to roll back\n`);
      else process.stdout.write(`rolled back ${reverted.join(', ')}; now at version ${after.current} of ${after.latest}\n`);
    },
    { checkSchema: false },
  );
}

async function ask(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
