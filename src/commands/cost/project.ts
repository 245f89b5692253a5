import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson, renderTable } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import { plural } from '../../util/plural.js';

interface ProjectOpts {
  volumes: string;
  window: string;
  account?: string;
  agent?: string;
  top: string;
}

/** `10000`, `10k`, `1m`, `1_000_000` → turns per month. */
export function parseVolumes(text: string): number[] {
  return text.split(',').map((raw) => {
    const t = raw.trim().toLowerCase().replace(/[_\s]/g, '');
    const m = /^(\d+(?:\.\d+)?)(k|m)?$/.exec(t);
    if (!m) throw new UsageError(`--volumes: "${raw.trim()}" is not a number of turns`, { hint: 'e.g. --volumes 10000,100k,1m' });
    const v = Math.round(Number(m[1]) * (m[2] === 'k' ? 1e3 : m[2] === 'm' ? 1e6 : 1));
    if (v <= 0) throw new UsageError('--volumes: volumes must be positive');
    return v;
  });
}

export function parseTop(text: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--top: expected a whole number of at least 1, found "${text}"`, { hint: 'e.g. --top 5 (alternatives to show per agent; default 8)' });
  return n;
}

export async function run(opts: ProjectOpts, g: GlobalOptions): Promise<void> {
  const volumes = parseVolumes(opts.volumes);
  const windowDays = Number(opts.window);
  if (!Number.isFinite(windowDays) || windowDays <= 0) throw new UsageError(`--window: expected a number of days, found "${opts.window}"`, { hint: "e.g. --window 7 (the days of ledger the current rate and model mix come from)" });
  const top = parseTop(opts.top);
  const [{ buildProjection }, { loadPriceTable }, { usd }] = await Promise.all([
    import('../../cost/projection.js'), import('../../models/pricing.js'), import('../../cost/format.js'),
  ]);
  await withStore(g, async (store, loaded) => {
    const prices = loadPriceTable(loaded.config);
    const p = await buildProjection(store, loaded.config, prices, { volumes, windowDays, accountId: opts.account });
    if (opts.agent && !p.agents.some((a) => a.agent === opts.agent)) throw new UsageError(`--agent ${opts.agent}: not an agent`, { hint: 'preprocessor, strategist, writer or dreamer' });
    if (g.json) return printJson(p);
    const lines: string[] = [];
    lines.push(p.basis === 'ledger'
      ? `model mix from the ledger, last ${plural(p.window.days, 'day')}: ${plural(p.turnsInWindow, 'turn')}, ${usd(p.costPerTurnUsd)} a turn; recent rate ≈ ${p.recentTurnsPerMonth.toLocaleString('en-US')} turns a month`
      : `model mix estimated from the config: ${usd(p.costPerTurnUsd)} a turn`);
    lines.push(await renderTable(
      ['agent', 'models', 'calls/turn', 'in tok/turn', 'out tok/turn', 'cost/turn'],
      p.agents.map((a) => [a.agent, a.models.join(', ') || '—', a.callsPerTurn, a.inputTokensPerTurn, a.outputTokensPerTurn, usd(a.costPerTurnUsd)]),
      { align: ['left', 'left', 'right', 'right', 'right', 'right'] },
    ));
    const agentNames = p.agents.map((a) => a.agent);
    lines.push('', 'monthly cost:');
    lines.push(await renderTable(
      ['volume', 'turns/month', ...agentNames, 'total'],
      p.volumes.map((v) => [v.label, v.turnsPerMonth.toLocaleString('en-US'), ...agentNames.map((a) => usd(v.byAgent[a] ?? 0)), usd(v.costUsd)]),
      { align: ['left', 'right', ...agentNames.map(() => 'right' as const), 'right'] },
    ));
    if (p.burstUsdPerMonth > 0) lines.push(`burst GPU rental at the window's rate: ${usd(p.burstUsdPerMonth)} a month (not per turn; on top of the above)`);
    for (const alt of p.alternatives.filter((a) => !opts.agent || a.agent === opts.agent)) {
      const current = p.agents.find((a) => a.agent === alt.agent)!;
      lines.push('', `${alt.agent} on other models (its ${current.inputTokensPerTurn} in / ${current.outputTokensPerTurn} out tokens a turn repriced; now ${usd(current.costPerTurnUsd)} a turn):`);
      const shown = alt.options.slice(0, top);
      const cur = alt.options.find((o) => o.current);
      if (cur && !shown.includes(cur)) shown.push(cur);
      lines.push(await renderTable(
        ['model', 'cost/turn', ...p.volumes.map((v) => `Δ/month @ ${v.label.replace(/ turns$/, '')}`)],
        shown.map((o) => [`${o.model}${o.current ? ' (current)' : ''}`, usd(o.costPerTurnUsd), ...o.deltaUsdPerMonth.map((d) => `${d > 0 ? '+' : d < 0 ? '-' : ''}${usd(Math.abs(d))}`)]),
        { align: ['left', 'right', ...p.volumes.map(() => 'right' as const)] },
      ));
    }
    if (p.notes.length) lines.push('', ...p.notes.map((n) => `note: ${n}`));
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}
