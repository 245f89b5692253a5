import { type GlobalOptions, withStore } from '../../cli/context.js';
import { outputWidth, printJson, progress, renderTableToFit, wrapText } from '../../cli/output.js';
import { NotFoundError, UsageError } from '../../errors.js';
import { LEDGER_AGENTS, type Store } from '../../store/types.js';

interface ReportOpts {
  by?: string;
  since?: string;
  until?: string;
  story?: string;
  account?: string;
  agent?: string;
  csv?: boolean;
}

export async function run(opts: ReportOpts, g: GlobalOptions): Promise<void> {
  if (opts.csv && g.json) throw new UsageError('choose one of --csv and --json');
  const [{ parseWindow }, { parseGroupBy, buildReport }, fmt, { buildTurnReport }, { findAccount, findStory }] = await Promise.all([
    import('../../cost/period.js'), import('../../cost/report.js'), import('../../cost/format.js'), import('../../cost/per-turn.js'), import('../../story/find.js'),
  ]);
  const groupBy = parseGroupBy(opts.by);
  const window = parseWindow(opts);
  // A misspelt filter would match nothing and report zeros: refuse it instead.
  if (opts.agent !== undefined && !(LEDGER_AGENTS as readonly string[]).includes(opts.agent)) {
    throw new UsageError(`--agent ${opts.agent}: not an agent`, { hint: `use one of ${LEDGER_AGENTS.join(', ')}` });
  }
  if (opts.story !== undefined) (await import('../../story/find.js')).checkRef(opts.story, 'story');
  const width = outputWidth();
  await withStore(g, async (store, loaded) => {
    if (opts.account !== undefined) await findAccount(store, opts.account);
    const storyId = opts.story ? await reportStoryId(store, opts.story, findStory) : undefined;
    const filter = { ...window, ...(storyId ? { storyId } : {}), ...(opts.account ? { accountId: opts.account } : {}), ...(opts.agent ? { agent: opts.agent } : {}) };
    let out: string;
    if (groupBy.includes('turn')) {
      if (groupBy.length > 1) throw new UsageError('--by turn cannot be combined with other groupings', { hint: 'its columns already split each turn by agent' });
      const report = await buildTurnReport(store, filter);
      if (g.json) return printJson(report);
      if (opts.csv) return void process.stdout.write(fmt.turnCsv(report));
      const t = fmt.turnTable(report);
      const fit = await renderTableToFit(t.head, t.rows, { align: t.align, width, dropOrder: TURN_DROP_ORDER });
      out = [fit.text, ...[...t.footnotes, ...narrowedNote(fit.dropped)].map((n) => wrapText(n, width))].join('\n');
    } else {
      // A million-row ledger takes seconds to scan: say so on a terminal.
      const spin = await progress('reading the ledger…', { json: g.json || opts.csv });
      const report = await buildReport(store, loaded.config, groupBy, filter).finally(() => spin.stop());
      if (g.json) return printJson(report);
      if (opts.csv) return void process.stdout.write(fmt.reportCsv(report));
      const t = fmt.reportTable(report);
      const fit = await renderTableToFit(t.head, t.rows, { align: t.align, width, dropOrder: REPORT_DROP_ORDER });
      const notes = [...t.footnotes, ...narrowedNote(fit.dropped)].map((n) => wrapText(n, width));
      out = [fit.text, '', 'spend by kind:', ...fmt.spendLines(report).map((l) => `  ${l}`), ...(notes.length ? ['', ...notes] : [])].join('\n');
    }
    process.stdout.write(`${describeWindow(window)}\n${out.trimEnd()}\n`);
  });
}

/** Least useful first: what goes when the report is wider than the terminal. Keys, cost and cost/turn stay. */
const REPORT_DROP_ORDER = ['cached tok', 'fallback', 'p50', 'failed', 'share', 'input tok', 'output tok', 'turns', 'p95', 'calls'];
const TURN_DROP_ORDER = ['depth', 'calls', 'preprocessor', 'other', 'dreamer', 'action'];

function narrowedNote(dropped: string[]): string[] {
  return dropped.length ? [`(${dropped.join(', ')} left out to fit the terminal; --csv or --json has every column)`] : [];
}

function describeWindow(w: { since?: string; until?: string }): string {
  const f = (s: string) => s.replace('T', ' ').replace(/:00\.000Z$|\.\d{3}Z$/, '').replace(/ 00:00$/, '');
  if (!w.since && !w.until) return 'all time';
  return `${w.since ? f(w.since) : 'start'} → ${w.until ? f(w.until) : 'now'} (UTC)`;
}

/** A deleted story's calls stay in the ledger: its full id still reports them. */
async function reportStoryId(store: Store, ref: string, findStory: (s: Store, ref: string) => Promise<{ id: string }>): Promise<string> {
  try {
    return (await findStory(store, ref)).id;
  } catch (err) {
    if (err instanceof NotFoundError && (await store.listCalls({ storyId: ref, limit: 1 })).length) return ref;
    throw err;
  }
}
