import type { BurstInstance } from '../types.js';
import type { PgDb } from './connection.js';
import { toBurst } from './rows.js';

const COLUMNS = [
  'id', 'name', 'deployment', 'provider', 'provider_instance_id', 'gpu_type', 'gpu_count', 'price_per_hour', 'state', 'endpoint',
  'api_key', 'serves', 'launched_at', 'ready_at', 'last_active_at', 'terminated_at', 'billed_until', 'last_error',
] as const;
const UPSERT = `INSERT INTO burst_instances (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c, i) => (c === 'serves' ? `$${i + 1}::jsonb` : `$${i + 1}`)).join(', ')})
  ON CONFLICT (id) DO UPDATE SET ${COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ')}`;

/** Burst instances are operator data, not tenant data: no account, no row-level security. */
export class PgBurst {
  constructor(private readonly db: PgDb) {}

  saveBurstInstance(i: BurstInstance): Promise<void> {
    return this.db.tx(async (q) => {
      await q.run(UPSERT, [
        i.id, i.name, i.deployment, i.provider, i.providerInstanceId, i.gpuType, i.gpuCount, i.pricePerHour, i.state, i.endpoint,
        i.apiKey, JSON.stringify(i.serves ?? []), i.launchedAt, i.readyAt, i.lastActiveAt, i.terminatedAt, i.billedUntil, i.lastError,
      ]);
    }, 'saving burst instance');
  }

  async getBurstInstance(id: string): Promise<BurstInstance | null> {
    const r = await this.db.read((q) => q.one('SELECT * FROM burst_instances WHERE id = $1', [id]));
    return r ? toBurst(r) : null;
  }

  async listBurstInstances(filter: { deployment?: string; activeOnly?: boolean } = {}): Promise<BurstInstance[]> {
    const parts: string[] = [];
    const args: unknown[] = [];
    if (filter.deployment !== undefined) { args.push(filter.deployment); parts.push(`deployment = $${args.length}`); }
    if (filter.activeOnly) parts.push(`state <> 'terminated'`);
    const w = parts.length ? `WHERE ${parts.join(' AND ')}` : '';
    return (await this.db.read((q) => q.rows(`SELECT * FROM burst_instances ${w} ORDER BY launched_at, id`, args))).map(toBurst);
  }
}
