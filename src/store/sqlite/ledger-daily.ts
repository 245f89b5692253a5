import type { Db } from './connection.js';
import { acrossAccounts, COUNTERS, foldCall, mergeInto, newCell, type Cell, type DailyInput, type Dims } from '../daily/cells.js';

/*
 * SQLite I/O for the daily roll-up (src/store/daily/cells.ts): cells are rows whose histogram and turn
 * counters are little-endian uint32 blobs. Writes are serialised by SQLite, so a cell is read, merged and
 * written back.
 */

/**
 * Folds calls about to be inserted into the roll-up, in the caller's transaction. Runs before the INSERT:
 * it reads each turn's earlier calls to know which counters these calls are the first for.
 */
export function foldIntoDaily(db: Db, rows: DailyInput[]): void {
  const cells = new Map<string, Cell>();
  const priorByTurn = new Map<string, Dims[]>();
  const turnCalls = db.prepare('SELECT substr(created_at, 1, 10) AS day, account_id AS accountId, agent, provider, model FROM ledger WHERE turn_id = ?');
  for (const r of rows) {
    let prior: Dims[] | null = null;
    if (r.turnId !== null) {
      prior = priorByTurn.get(r.turnId) ?? null;
      if (!prior) priorByTurn.set(r.turnId, (prior = turnCalls.all(r.turnId) as Dims[]));
    }
    foldCall(cells, r, prior);
  }
  const get = db.prepare('SELECT * FROM ledger_daily_account WHERE day = ? AND account_id = ? AND agent = ? AND provider = ? AND model = ?');
  const getAll = db.prepare(`SELECT *, '' AS account_id FROM ledger_daily WHERE day = ? AND agent = ? AND provider = ? AND model = ?`);
  for (const cell of acrossAccounts(cells.values())) {
    const old = getAll.get(cell.day, cell.agent, cell.provider, cell.model) as Record<string, unknown> | undefined;
    if (old) mergeInto(cell, fromStored(old));
    putCell(db, cell, false);
  }
  for (const cell of cells.values()) {
    const old = get.get(cell.day, cell.accountId, cell.agent, cell.provider, cell.model) as Record<string, unknown> | undefined;
    if (old) mergeInto(cell, fromStored(old));
    putCell(db, cell, true);
  }
}

/**
 * Recomputes the whole roll-up from the ledger (migration 0005 on an existing database). Calls are read in
 * turn order so only one turn's calls are held at a time.
 */
export function rebuildDaily(db: Db): void {
  db.exec('DELETE FROM ledger_daily; DELETE FROM ledger_daily_account');
  const cells = new Map<string, Cell>();
  let turn: string | null = null;
  let prior: Dims[] = [];
  const rows = db.prepare(`SELECT account_id AS accountId, turn_id AS turnId, agent, provider, model, input_tokens AS inputTokens,
      output_tokens AS outputTokens, cached_tokens AS cachedTokens, estimated, latency_ms AS latencyMs, outcome, cost_usd AS costUsd,
      created_at AS createdAt FROM ledger ORDER BY turn_id, seq`).iterate() as Iterable<DailyInput>;
  for (const r of rows) {
    if (r.turnId !== turn) {
      turn = r.turnId;
      prior = [];
    }
    foldCall(cells, { ...r, estimated: Boolean(r.estimated) }, r.turnId === null ? null : prior);
  }
  for (const cell of acrossAccounts(cells.values())) putCell(db, cell, false);
  for (const cell of cells.values()) putCell(db, cell, true);
}

/** Writes a cell back whole: the caller merged the stored one into it. */
function putCell(db: Db, c: Cell, perAccount: boolean): void {
  const lat = Buffer.alloc(c.latency.size * 8);
  let o = 0;
  for (const [b, n] of c.latency) {
    lat.writeUInt32LE(b, o);
    lat.writeUInt32LE(n, o + 4);
    o += 8;
  }
  const turns = Buffer.alloc(COUNTERS * 4);
  for (let i = 0; i < COUNTERS; i++) turns.writeUInt32LE(c.turns[i]!, i * 4);
  const values = [c.agent, c.provider, c.model, c.calls, c.input, c.output, c.cached, c.cost, c.unpriced, c.estimated, c.failed, c.fallback, lat, turns];
  const cols = 'agent, provider, model, calls, input_tokens, output_tokens, cached_tokens, cost_usd, unpriced, estimated, failed, fallback, latency, turns';
  if (perAccount) {
    db.prepare(`INSERT OR REPLACE INTO ledger_daily_account (day, account_id, ${cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(c.day, c.accountId, ...values);
  } else {
    db.prepare(`INSERT OR REPLACE INTO ledger_daily (day, ${cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(c.day, ...values);
  }
}

/** A stored cell back as a Cell. Blobs are little-endian uint32s: (bucket, count) pairs, then the counters. */
function fromStored(r: Record<string, unknown>): Cell {
  const cell = newCell({ day: r.day as string, accountId: r.account_id as string, agent: r.agent as string, provider: r.provider as string, model: r.model as string });
  cell.calls = r.calls as number;
  cell.input = r.input_tokens as number;
  cell.output = r.output_tokens as number;
  cell.cached = r.cached_tokens as number;
  cell.cost = r.cost_usd as number;
  cell.unpriced = r.unpriced as number;
  cell.estimated = r.estimated as number;
  cell.failed = r.failed as number;
  cell.fallback = r.fallback as number;
  const lat = r.latency as Buffer;
  for (let o = 0; o < lat.length; o += 8) cell.latency.set(lat.readUInt32LE(o), lat.readUInt32LE(o + 4));
  const turns = r.turns as Buffer;
  for (let i = 0; i < COUNTERS; i++) cell.turns[i] = turns.readUInt32LE(i * 4);
  return cell;
}
