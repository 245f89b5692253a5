import type { PassageSearch, PassageTurn, SearchHit, StoryMemory } from '../contract/records.js';
import { searchTerms } from '../fts-query.js';
import type { SqlContext } from '../sql/context.js';
import type { Row } from '../sql/executor.js';
import { SqlMemory } from '../sql/memory.js';
import { toPassageTurns } from '../sql/passages.js';
import { pgTimestamp, type PgDb } from './connection.js';
import { searchPassagesPg, searchTurnsPg } from './search.js';

/**
 * The story's memory in one round trip: luna_story_memory (migrations 0012, 0014) returns each table's rows as
 * JSON, and the lore (null) only when its revision is not the caller's.
 */
const STORY_MEMORY_SQL = 'SELECT * FROM luna_story_memory($1, $2, $3::bigint, $4::text)';

/** PostgreSQL's own search: tsvector ranking (search.ts), and pgvector (or plain SQL) similarity. */
export class PgMemory extends SqlMemory {
  /** `pgvector` is set at open when the extension is installed: similarity then uses its `<=>` operator. */
  constructor(c: SqlContext, private readonly pg: PgDb, readonly pgvector: boolean) {
    super(c);
  }

  override async searchTurns(storyId: string, query: string, limit: number): Promise<SearchHit[]> {
    if (!searchTerms(query).length || limit <= 0) return [];
    // Confined by the function itself, not by row-level security: see PgDb.asOwner.
    return this.pg.asOwner((q) => searchTurnsPg(q, storyId, query, Math.floor(limit), this.pg.scope), 'searching turns');
  }

  /** The search, its first hits' turns and their neighbours in one statement (search.ts). */
  override async searchPassages(storyId: string, query: string, limit: number, read: number, also: readonly string[] = []): Promise<PassageSearch> {
    if (!searchTerms(query).length || limit <= 0) return { hits: [], turns: [] };
    return this.pg.asOwner((q) => searchPassagesPg(this.c, q, storyId, query, Math.floor(limit), Math.max(0, Math.floor(read)), [...new Set(also)], this.pg.scope),
      'searching turns');
  }

  /** As a function (migration 0013), for its cached plan. */
  override async getPassageTurns(storyId: string, ids: readonly string[]): Promise<PassageTurn[]> {
    const unique = [...new Set(ids)];
    if (!unique.length) return [];
    const rows = await this.c.db.read((q) => q.all<Row>('SELECT * FROM luna_passage_turns($1, $2::text[])', [storyId, unique]), 'reading turns');
    return toPassageTurns(this.c, storyId, unique, rows);
  }

  override async storyMemory(storyId: string, headTurnId: string | null, opts: { knownLoreRev?: number } = {}): Promise<StoryMemory> {
    // Confined by the function itself (p_account), not by row-level security: see PgDb.asOwner.
    const r = (await this.pg.asOwner((q) => q.get<Row>(STORY_MEMORY_SQL, [storyId, headTurnId, opts.knownLoreRev ?? null, this.pg.scope]), 'reading story memory'))!;
    const loreRev = Number(r.lore_rev ?? 0);
    const unchanged = r.lore === null;
    const rows = (v: unknown) => (v as Row[]).map((x) => ({ ...x, created_at: pgTimestamp(x.created_text as string) }));
    const { toEntity, toFact, toLore, toArc } = this.c.rows;
    return {
      entities: rows(r.entities).map(toEntity), facts: rows(r.facts).map(toFact), lore: unchanged ? [] : rows(r.lore).map(toLore), arcs: rows(r.arcs).map(toArc),
      size: { turns: Number(r.turns ?? 0), chars: Number(r.chars ?? 0), loreChars: unchanged ? 0 : Number(r.lore_chars) },
      loreRev, ...(unchanged ? { loreUnchanged: true } : {}),
    };
  }

  /** Cosine similarity in SQL (pgvector's operator when installed, else luna_cosine over real[]); other dimensions are skipped. */
  override async searchEmbeddings(storyId: string, vector: Float32Array, limit: number): Promise<SearchHit[]> {
    if (vector.length === 0 || limit <= 0) return [];
    const sim = this.pgvector ? '1 - (vector::vector <=> $2::real[]::vector)' : 'luna_cosine(vector, $2::real[])';
    const rows = await this.c.db.read((q) =>
      q.all<Row>(`SELECT turn_id, sim FROM (SELECT turn_id, ${sim} AS sim FROM embeddings WHERE story_id = $1 AND dim = $3) e
                  WHERE sim IS NOT NULL AND sim = sim ORDER BY sim DESC, turn_id LIMIT $4`, [storyId, Array.from(vector), vector.length, Math.floor(limit)]),
    'searching embeddings');
    return rows.map((r) => ({ turnId: r.turn_id as string, score: Number(r.sim) }));
  }
}
