import type { NewTurnImage, TurnImage } from '../contract/records.js';
import type { ImageStore } from '../contract/roles.js';
import { newId, nowIso } from '../ids.js';
import type { SqlContext } from './context.js';
import type { Columns, Row } from './executor.js';
import { turnAccount } from './memory.js';

const COLS: Columns = [['story_id', 'text'], ['turn_id', 'text'], ['n', 'int'], ['path', 'text'], ['mime', 'text'], ['width', 'int'], ['height', 'int'],
  ['bytes', 'int'], ['prompt', 'text'], ['created_at', 'timestamptz']];

const nn = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toImage(r: Row): TurnImage {
  return {
    id: r.id as string, storyId: r.story_id as string, turnId: r.turn_id as string, depth: Number(r.depth), n: Number(r.n), path: r.path as string, mime: r.mime as string,
    width: nn(r.width), height: nn(r.height), bytes: Number(r.bytes), prompt: r.prompt as string, createdAt: r.created_at as string,
  };
}

/** Images linked to turns: rows only, the bytes stay in files (src/images/files.ts writes them). */
export class SqlImages implements ImageStore {
  constructor(private readonly c: SqlContext) {}

  replaceTurnImages(turnId: string, prompt: string, images: Omit<NewTurnImage, 'prompt'>[]): Promise<TurnImage[]> {
    return this.c.db.transaction(async (q) => {
      const accountId = await turnAccount(q, turnId);
      const turn = await q.get('SELECT story_id, depth FROM turns WHERE id = ?', [turnId]);
      const storyId = turn!.story_id as string;
      await q.run('DELETE FROM turn_images WHERE turn_id = ?', [turnId]);
      const now = nowIso();
      const rows = images.map((img) => ({ id: newId(), ...img }));
      const cols: Columns = this.c.d.tenantRows ? [['id', 'text'], ['account_id', 'text'], ...COLS] : [['id', 'text'], ...COLS];
      const acct = this.c.d.tenantRows ? [accountId] : [];
      await q.insertMany('turn_images', cols, rows.map((r) => [r.id, ...acct, storyId, turnId, r.n, r.path, r.mime, r.width, r.height, r.bytes, prompt, now]));
      return rows.map((r) => ({ ...r, storyId, turnId, depth: Number(turn!.depth), prompt, createdAt: now }));
    }, 'saving turn images');
  }

  async listTurnImages(storyId: string, opts: { turnIds?: string[] } = {}): Promise<TurnImage[]> {
    if (opts.turnIds && !opts.turnIds.length) return [];
    const ids = opts.turnIds ? this.c.d.inList('i.turn_id', opts.turnIds) : null;
    const rows = await this.c.db.all<Row>(
      `SELECT i.*, t.depth FROM turn_images i JOIN turns t ON t.id = i.turn_id WHERE i.story_id = ?${ids ? ` AND ${ids.sql}` : ''} ORDER BY t.depth, t.seq, i.n`,
      ids ? [storyId, ids.param] : [storyId],
    );
    return rows.map(toImage);
  }

  async getTurnImage(storyId: string, id: string): Promise<TurnImage | null> {
    const r = await this.c.db.get<Row>('SELECT i.*, t.depth FROM turn_images i JOIN turns t ON t.id = i.turn_id WHERE i.id = ? AND i.story_id = ?', [id, storyId]);
    return r ? toImage(r) : null;
  }
}
