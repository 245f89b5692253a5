import type { BurstInstance } from '../contract/ops.js';
import type { BurstStore } from '../contract/roles.js';
import type { SqlContext } from './context.js';

const COLUMNS = [
  'id', 'name', 'deployment', 'provider', 'provider_instance_id', 'gpu_type', 'gpu_count', 'price_per_hour', 'state', 'endpoint',
  'api_key', 'serves', 'launched_at', 'ready_at', 'last_active_at', 'terminated_at', 'billed_until', 'last_error',
] as const;
const UPSERT = `INSERT INTO burst_instances (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})
  ON CONFLICT (id) DO UPDATE SET ${COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ')}`;

/** Burst instances are operator data, not tenant data: no account, no row-level security. */
export class SqlBurst implements BurstStore {
  constructor(private readonly c: SqlContext) {}

  /** Upsert by id: burst writes a record before the launch call and after every state change. */
  async saveBurstInstance(i: BurstInstance): Promise<void> {
    await this.c.db.transaction((q) => q.run(UPSERT, [
      i.id, i.name, i.deployment, i.provider, i.providerInstanceId, i.gpuType, i.gpuCount, i.pricePerHour, i.state, i.endpoint,
      i.apiKey, JSON.stringify(i.serves ?? []), i.launchedAt, i.readyAt, i.lastActiveAt, i.terminatedAt, i.billedUntil, i.lastError,
    ]), 'saving burst instance');
  }

  async getBurstInstance(id: string): Promise<BurstInstance | null> {
    const r = await this.c.db.get('SELECT * FROM burst_instances WHERE id = ?', [id]);
    return r ? this.c.rows.toBurst(r) : null;
  }

  async listBurstInstances(filter: { deployment?: string; activeOnly?: boolean } = {}): Promise<BurstInstance[]> {
    const parts: string[] = [];
    const args: unknown[] = [];
    if (filter.deployment !== undefined) { parts.push('deployment = ?'); args.push(filter.deployment); }
    // 'failed' stays active: a failed launch may still be billing until burst confirms it terminated.
    if (filter.activeOnly) parts.push(`state <> 'terminated'`);
    const w = parts.length ? `WHERE ${parts.join(' AND ')}` : '';
    return (await this.c.db.all(`SELECT * FROM burst_instances ${w} ORDER BY launched_at, id`, args)).map(this.c.rows.toBurst);
  }
}
