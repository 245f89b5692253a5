import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';

export async function run(g: GlobalOptions): Promise<void> {
  await withStore(
    g,
    async (store) => {
      const s = await store.migrationStatus();
      const state = s.current === s.latest ? 'current' : s.current < s.latest ? 'behind' : 'ahead';
      if (g.json) {
        printJson({ dialect: store.dialect, state, ...s });
        return;
      }
      await printTable(
        ['version', 'name', 'applied at'],
        s.migrations.map((m) => [m.version, m.name, m.appliedAt ?? 'pending']),
        { align: ['right', 'left', 'left'] },
      );
      const note =
        state === 'behind' ? ' — run `luna migrate up`' : state === 'ahead' ? ' — this database was migrated by a newer luna; upgrade luna' : '';
      process.stdout.write(`${store.dialect} schema at version ${s.current}, latest ${s.latest} (${state})${note}\n`);
    },
    { checkSchema: false },
  );
}
