import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson, progress } from '../../cli/output.js';
import { assertKnownVersion, parseVersion } from './parse.js';

export async function run(opts: { to?: string }, g: GlobalOptions): Promise<void> {
  const to = parseVersion(opts.to, '--to');
  await withStore(
    g,
    async (store) => {
      const before = await store.migrationStatus();
      assertKnownVersion(to, before.latest, 'migrate up');
      const spin = await progress(`migrating ${store.dialect} database from version ${before.current}…`, { json: g.json });
      let applied: number[];
      try {
        applied = await store.migrateUp(to);
      } catch (err) {
        spin.fail();
        throw err;
      }
      const after = await store.migrationStatus();
      spin.stop();
      if (g.json) {
        printJson({ dialect: store.dialect, from: before.current, to: after.current, latest: after.latest, applied });
        return;
      }
      if (applied.length === 0) process.stdout.write(`already at version ${after.current} (latest ${after.latest}); nothing to do\n`);
      else process.stdout.write(`applied ${applied.map((v) => nameOf(after, v)).join(', ')}; now at version ${after.current} of ${after.latest}\n`);
    },
    { checkSchema: false },
  );
}

function nameOf(s: { migrations: { version: number; name: string }[] }, v: number): string {
  const m = s.migrations.find((x) => x.version === v);
  return m ? `${String(v).padStart(4, '0')}_${m.name}` : String(v);
}
