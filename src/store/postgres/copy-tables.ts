import type { ColType, Columns } from '../sql/executor.js';

/**
 * What `luna db copy` moves from SQLite to PostgreSQL, table by table in FK order. `select` reads the SQLite
 * rows (tenant tables take their account from the owning story, since SQLite keeps it only on stories);
 * `cols` are the PostgreSQL columns with the array type used to bulk-insert them through unnest().
 */
export interface CopyTable {
  table: string;
  select: string;
  cols: Columns;
  conflict?: string;
  /** Minimum SQLite schema version that has the table. */
  since?: number;
}

const T: ColType = 'text';
const TS: ColType = 'timestamptz';
const I: ColType = 'int';

export const COPY_TABLES: CopyTable[] = [
  { table: 'accounts', select: 'SELECT id, name, tier, created_at FROM accounts ORDER BY created_at, id', cols: [['id', T], ['name', T], ['tier', T], ['created_at', TS]], conflict: 'ON CONFLICT (id) DO NOTHING' },
  {
    table: 'api_keys', since: 3, select: 'SELECT id, account_id, label, prefix, hash, created_at, last_used_at, revoked_at FROM api_keys ORDER BY created_at, id',
    cols: [['id', T], ['account_id', T], ['label', T], ['prefix', T], ['hash', T], ['created_at', TS], ['last_used_at', TS], ['revoked_at', TS]],
  },
  {
    table: 'stories', select: 'SELECT id, account_id, title, premise, style, head_turn_id, created_at, updated_at, author_note FROM stories ORDER BY created_at, id',
    cols: [['id', T], ['account_id', T], ['title', T], ['premise', T], ['style', T], ['head_turn_id', T], ['created_at', TS], ['updated_at', TS], ['author_note', T]],
  },
  {
    table: 'turns', select: `SELECT t.id, s.account_id, t.story_id, t.parent_id, t.depth, t.action, t.prose, t.plan, t.created_at, t.note, t.ooc, t.continued, t.edited_at
      FROM turns t JOIN stories s ON s.id = t.story_id ORDER BY t.seq`,
    // `line` is not in SQLite: copy.ts derives it (last column) while streaming turns in seq order.
    cols: [['id', T], ['account_id', T], ['story_id', T], ['parent_id', T], ['depth', I], ['action', T], ['prose', T], ['plan', 'jsonb'], ['created_at', TS],
      ['note', T], ['ooc', T], ['continued', 'bool'], ['edited_at', TS], ['line', T], ['branch_chars', 'bigint']],
  },
  {
    table: 'entities', select: `SELECT e.id, s.account_id, e.story_id, e.name, e.kind, e.aliases, e.description, e.first_turn_id, e.created_at, e.origin
      FROM entities e JOIN stories s ON s.id = e.story_id ORDER BY e.seq`,
    cols: [['id', T], ['account_id', T], ['story_id', T], ['name', T], ['kind', T], ['aliases', 'jsonb'], ['description', T], ['first_turn_id', T], ['created_at', TS],
      ['origin', T]],
  },
  {
    table: 'facts', select: `SELECT f.id, s.account_id, f.story_id, f.entity_id, f.key, f.value, f.turn_id, f.depth, f.created_at, f.origin, f.source_turn_id, f.removed
      FROM facts f JOIN stories s ON s.id = f.story_id ORDER BY f.seq`,
    cols: [['id', T], ['account_id', T], ['story_id', T], ['entity_id', T], ['key', T], ['value', T], ['turn_id', T], ['depth', I], ['created_at', TS],
      ['origin', T], ['source_turn_id', T], ['removed', 'bool']],
  },
  {
    table: 'lore', select: `SELECT l.id, s.account_id, l.story_id, l.title, l.keywords, l.body, l.constant, l.created_at, l.secondary_keys, l.selective_logic,
      l.case_sensitive, l.whole_words, l.sort_order, l.priority, l.position, l.probability, l.exclude_recursion, l.prevent_recursion, l.enabled, l.comment
      FROM lore l JOIN stories s ON s.id = l.story_id ORDER BY l.seq`,
    cols: [['id', T], ['account_id', T], ['story_id', T], ['title', T], ['keywords', 'jsonb'], ['body', T], ['constant', 'bool'], ['created_at', TS],
      ['secondary_keys', 'jsonb'], ['selective_logic', T], ['case_sensitive', 'bool'], ['whole_words', 'bool'], ['sort_order', I], ['priority', I], ['position', T],
      ['probability', I], ['exclude_recursion', 'bool'], ['prevent_recursion', 'bool'], ['enabled', 'bool'], ['comment', T]],
  },
  {
    table: 'story_cards', since: 6, select: 'SELECT c.story_id, s.account_id, c.spec, c.card, c.tags, c.image, c.created_at FROM story_cards c JOIN stories s ON s.id = c.story_id',
    cols: [['story_id', T], ['account_id', T], ['spec', T], ['card', 'jsonb'], ['tags', 'jsonb'], ['image', 'bytea'], ['created_at', TS]],
  },
  {
    table: 'memory_proposals', since: 8, select: `SELECT p.id, s.account_id, p.story_id, p.turn_id, p.origin, p.change, p.state, p.created_at, p.decided_at
      FROM memory_proposals p JOIN stories s ON s.id = p.story_id ORDER BY p.seq`,
    cols: [['id', T], ['account_id', T], ['story_id', T], ['turn_id', T], ['origin', T], ['change', 'jsonb'], ['state', T], ['created_at', TS], ['decided_at', TS]],
  },
  {
    table: 'arc_summaries', select: 'SELECT a.id, s.account_id, a.story_id, a.to_turn_id, a.from_depth, a.to_depth, a.kind, a.summary, a.created_at FROM arc_summaries a JOIN stories s ON s.id = a.story_id ORDER BY a.seq',
    cols: [['id', T], ['account_id', T], ['story_id', T], ['to_turn_id', T], ['from_depth', I], ['to_depth', I], ['kind', T], ['summary', T], ['created_at', TS]],
  },
  {
    table: 'embeddings', select: 'SELECT e.turn_id, s.account_id, e.story_id, e.dim, e.vector, e.created_at FROM embeddings e JOIN stories s ON s.id = e.story_id ORDER BY e.rowid',
    cols: [['turn_id', T], ['account_id', T], ['story_id', T], ['dim', I], ['vector', 'real[]'], ['created_at', TS]],
  },
  {
    table: 'ledger', select: `SELECT id, account_id, story_id, turn_id, agent, provider, model, input_tokens, output_tokens, cached_tokens, estimated, latency_ms, ttft_ms,
      outcome, cost_usd, price_in_per_mtok, price_out_per_mtok, instance_id, created_at FROM ledger ORDER BY seq`,
    cols: [['id', T], ['account_id', T], ['story_id', T], ['turn_id', T], ['agent', T], ['provider', T], ['model', T], ['input_tokens', I], ['output_tokens', I],
      ['cached_tokens', I], ['estimated', 'bool'], ['latency_ms', I], ['ttft_ms', I], ['outcome', T], ['cost_usd', 'float8'], ['price_in_per_mtok', 'float8'],
      ['price_out_per_mtok', 'float8'], ['instance_id', T], ['created_at', TS]],
  },
  {
    table: 'jobs', select: `SELECT j.id, s.account_id, j.kind, j.story_id, j.turn_id, j.payload, j.state, j.attempts, j.max_attempts, j.run_after, j.locked_by, j.locked_until,
      j.last_error, j.created_at, j.updated_at FROM jobs j JOIN stories s ON s.id = j.story_id ORDER BY j.seq`,
    cols: [['id', T], ['account_id', T], ['kind', T], ['story_id', T], ['turn_id', T], ['payload', 'jsonb'], ['state', T], ['attempts', I], ['max_attempts', I],
      ['run_after', TS], ['locked_by', T], ['locked_until', TS], ['last_error', T], ['created_at', TS], ['updated_at', TS]],
  },
  {
    table: 'image_prompts', since: 2, select: 'SELECT i.turn_id, s.account_id, i.prompt, i.created_at FROM image_prompts i JOIN turns t ON t.id = i.turn_id JOIN stories s ON s.id = t.story_id',
    cols: [['turn_id', T], ['account_id', T], ['prompt', T], ['created_at', TS]],
  },
  {
    table: 'turn_images', since: 10, select: `SELECT i.id, s.account_id, i.story_id, i.turn_id, i.n, i.path, i.mime, i.width, i.height, i.bytes, i.prompt, i.created_at
      FROM turn_images i JOIN stories s ON s.id = i.story_id ORDER BY i.created_at, i.id`,
    cols: [['id', T], ['account_id', T], ['story_id', T], ['turn_id', T], ['n', I], ['path', T], ['mime', T], ['width', I], ['height', I], ['bytes', I],
      ['prompt', T], ['created_at', TS]],
  },
  {
    table: 'burst_instances', select: `SELECT id, name, deployment, provider, provider_instance_id, gpu_type, gpu_count, price_per_hour, state, endpoint, api_key, serves,
      launched_at, ready_at, last_active_at, terminated_at, billed_until, last_error FROM burst_instances ORDER BY launched_at, id`,
    cols: [['id', T], ['name', T], ['deployment', T], ['provider', T], ['provider_instance_id', T], ['gpu_type', T], ['gpu_count', I], ['price_per_hour', 'float8'],
      ['state', T], ['endpoint', T], ['api_key', T], ['serves', 'jsonb'], ['launched_at', TS], ['ready_at', TS], ['last_active_at', TS], ['terminated_at', TS],
      ['billed_until', TS], ['last_error', T]], conflict: 'ON CONFLICT (id) DO NOTHING',
  },
];

/** Characters as PostgreSQL's char_length counts them (code points), so imported, copied and committed turns agree. */
const chars = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/**
 * Derives turns.line and turns.branch_chars for turns met in seq order (a parent always precedes its
 * children): a turn continues its parent's line unless an earlier child already did.
 */
export function turnLines(): (id: string, parentId: string | null, action: string, prose: string) => { line: string; size: number } {
  const lineOf = new Map<string, string>();
  const sizeOf = new Map<string, number>();
  const continued = new Set<string>();
  return (id, parent, action, prose) => {
    let line = id;
    if (parent !== null && !continued.has(parent) && lineOf.has(parent)) {
      line = lineOf.get(parent)!;
      continued.add(parent);
    }
    lineOf.set(id, line);
    const size = (parent === null ? 0 : sizeOf.get(parent) ?? 0) + chars(action) + chars(prose);
    sizeOf.set(id, size);
    return { line, size };
  };
}

/** SQLite value → the parameter PostgreSQL expects (booleans from 0/1, float32 BLOBs as array literals). */
export function convert(type: ColType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'bool') return Boolean(v);
  if (type === 'real[]' && Buffer.isBuffer(v)) {
    const f = new Float32Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
    return `{${Array.from(f).join(',')}}`;
  }
  return v;
}
