import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { requireConfirmation } from '../../cli/prompt.js';
import { assertKnownVersion, parseVersion } from './parse.js';
import { plural } from '../../util/plural.js';

export async function run(opts: { to: string; yes?: boolean }, g: GlobalOptions): Promise<void> {
  const to = parseVersion(opts.to, '--to')!;
  await withStore(
    g,
    async (store) => {
      const s = await store.migrationStatus();
      assertKnownVersion(to, s.latest, 'roll back');
      const undo = s.migrations.filter((m) => m.appliedAt !== null && m.version > to).sort((a, b) => b.version - a.version);
      if (undo.length > 0) {
        const list = undo.map((m) => `${m.version}_${m.name}`).join(', ');
        await requireConfirmation({ yes: opts.yes, question: `Roll back ${list}? Data in the dropped tables is lost.`, refusing: `roll back ${plural(undo.length, 'migration')}`, declined: 'rollback cancelled' });
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
