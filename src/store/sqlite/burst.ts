import type { BurstInstance } from '../types.js';
import { writeTx, type Db } from './connection.js';
import { toBurst } from './rows.js';

type Row = Record<string, unknown>;

const COLUMNS = [
  'id', 'name', 'deployment', 'provider', 'provider_instance_id', 'gpu_type', 'gpu_count', 'price_per_hour', 'state', 'endpoint',
  'api_key', 'serves', 'launched_at', 'ready_at', 'last_active_at', 'terminated_at', 'billed_until', 'last_error',
] as const;

export class SqliteBurst {
  constructor(private readonly db: Db) {}

  /** Upsert by id: burst writes a record before the launch call and after every state change. */
  saveBurstInstance(i: BurstInstance): void {
    const values = [
      i.id, i.name, i.deployment, i.provider, i.providerInstanceId, i.gpuType, i.gpuCount, i.pricePerHour, i.state, i.endpoint,
      i.apiKey, JSON.stringify(i.serves ?? []), i.launchedAt, i.readyAt, i.lastActiveAt, i.terminatedAt, i.billedUntil, i.lastError,
    ];
    const updates = COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ');
    writeTx(this.db, () => {
      this.db
        .prepare(`INSERT INTO burst_instances (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})
                  ON CONFLICT(id) DO UPDATE SET ${updates}`)
        .run(...values);
    });
  }

  getBurstInstance(id: string): BurstInstance | null {
    const r = this.db.prepare('SELECT * FROM burst_instances WHERE id = ?').get(id) as Row | undefined;
    return r ? toBurst(r) : null;
  }

  listBurstInstances(filter: { deployment?: string; activeOnly?: boolean } = {}): BurstInstance[] {
    const parts: string[] = [];
    const args: unknown[] = [];
    if (filter.deployment !== undefined) { parts.push('deployment = ?'); args.push(filter.deployment); }
    // 'failed' stays active: a failed launch may still be billing until burst confirms it terminated.
    if (filter.activeOnly) parts.push(`state <> 'terminated'`);
    const w = parts.length ? `WHERE ${parts.join(' AND ')}` : '';
    return (this.db.prepare(`SELECT * FROM burst_instances ${w} ORDER BY launched_at, id`).all(...args) as Row[]).map(toBurst);
  }
}
