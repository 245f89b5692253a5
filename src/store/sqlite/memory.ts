import { searchPhrases, searchTerms } from '../fts-query.js';
import type { SearchHit } from '../contract/records.js';
import { SqlMemory } from '../sql/memory.js';
import type { Row } from '../sql/executor.js';

/**
 * A term or phrase matching at least this many of a story's turns is common: it tells turns apart hardly at
 * all, and ranking its thousands of matches is what made a search slow (BM25 cost ~1 µs a match, and its IDF
 * counted the word's matches across every story in the database on every search).
 */
export const COMMON_MATCHES = 200;

/** SQLite's own search: FTS5 posting lists scored by summed IDF, and sqlite-vec cosine distance. */
export class SqliteMemory extends SqlMemory {
  /** Each story's lowest turn seq: turns only get higher ones, so a remembered floor stays a true floor. */
  private readonly floors = new Map<string, number>();
  /**
   * Per story, the terms and phrases already found common: a story only grows, so their posting lists (200
   * rowids each, the line) need not be read again. A main character's name, or a player's habitual words, are in
   * most turns: reading those lists was ~15% of a turn's pipeline time on a 200-turn story. An edit that takes
   * a word back under the line leaves it common here until the process restarts: its weight is the one change.
   */
  private readonly common = new Map<string, Set<string>>();

  /**
   * One capped posting-list read per term and phrase (FTS5 over action+prose, Porter stems):
   * a rare item's list is whole, so its document frequency is known and a turn scores the sum of the IDF of
   * the rare items it matches, ln((N+1)/df), as PostgreSQL ranks (like BM25 without term frequency), ties to
   * the newest; the common items' newest matches follow, below every ranked turn. Every word is a quoted
   * term, so no user text can form FTS5 syntax. The story is a rowid range inside the index (from its first
   * turn) and a join outside it; in a database whose stories interleave, other stories' turns in the range
   * count towards df, which errs towards "common", never towards another story's turns.
   */
  override async searchTurns(storyId: string, query: string, limit: number): Promise<SearchHit[]> {
    const terms = searchTerms(query);
    if (!terms.length || limit <= 0) return [];
    const n = Math.floor(limit);
    return this.c.db.read(async (q) => {
      let floor = this.floors.get(storyId);
      if (floor === undefined) {
        const r = await q.get<Row>('SELECT min(seq) AS lo FROM turns WHERE story_id = ?', [storyId]);
        if (r?.lo === null || r?.lo === undefined) return [];
        this.floors.set(storyId, (floor = Number(r.lo)));
        if (this.floors.size > 256) this.floors.delete(this.floors.keys().next().value as string);
      }
      const top = Number((await q.get<Row>('SELECT max(seq) AS hi FROM turns'))?.hi ?? floor);
      const size = Math.max(1, top - floor + 1);
      const known = this.commonOf(storyId);
      /** The item's posting list, or null when it is common. */
      const postings = async (item: string): Promise<number[] | null> => {
        if (known.has(item)) return null;
        const list = (await q.all<Row>(
          `SELECT rowid AS r FROM turns_fts WHERE turns_fts MATCH ? AND rowid >= ? ORDER BY rowid LIMIT ${COMMON_MATCHES}`, [`"${item}"`, floor])).map((r) => Number(r.r));
        if (list.length < COMMON_MATCHES) return list;
        known.add(item);
        return null;
      };
      const score = new Map<number, number>();
      const common: string[] = [];
      const weigh = (list: number[]) => {
        const idf = Math.log((size + 1) / list.length);
        for (const r of list) score.set(r, (score.get(r) ?? 0) + idf);
      };
      for (const t of terms) {
        const list = await postings(t);
        if (list === null) common.push(`"${t}"`);
        else if (list.length) weigh(list);
      }
      // A phrase weighs on top of its words; two common words can still be a rare phrase ("lantern widow").
      for (const p of searchPhrases(query)) {
        const list = await postings(p);
        if (list?.length) weigh(list);
      }
      const ranked = [...score].sort((a, b) => b[1] - a[1] || b[0] - a[0]).map(([r]) => r);
      // The common words' newest matches, in one read (newest first only here: ascending, FTS5 seeks to the
      // story's first rowid, where a descending read of a long posting list cost ~0.3 ms a word).
      const recent = common.length
        ? (await q.all<Row>(`SELECT rowid AS r FROM turns_fts WHERE turns_fts MATCH ? AND rowid >= ? ORDER BY rowid DESC LIMIT ?`, [common.join(' OR '), floor, 4 * n]))
          .map((r) => Number(r.r)).filter((r) => !score.has(r))
        : [];
      // Other stories' turns inside the range drop out here, so read past the limit before cutting.
      const wanted = [...ranked, ...recent].slice(0, 4 * n);
      if (!wanted.length) return [];
      // Looked up by rowid (CROSS JOIN keeps that order): left to itself the planner scanned the story's index.
      const ids = new Map((await q.all<Row>(`SELECT t.seq, t.id FROM json_each(?) j CROSS JOIN turns t ON t.seq = j.value WHERE t.story_id = ?`,
        [JSON.stringify(wanted), storyId])).map((r) => [Number(r.seq), r.id as string]));
      const out: SearchHit[] = [];
      const lowest = ranked.length ? Math.min(...ranked.map((r) => score.get(r)!)) : 0;
      for (const r of wanted) {
        const id = ids.get(r);
        if (!id) continue;
        // Newest first below every ranked turn: a later mention of a common word is the likelier answer.
        out.push({ turnId: id, score: score.get(r) ?? lowest - 1 - out.length * 1e-6 });
        if (out.length >= n) break;
      }
      return out;
    });
  }

  private commonOf(storyId: string): Set<string> {
    let set = this.common.get(storyId);
    if (!set || set.size > 4096) {
      this.common.set(storyId, (set = new Set()));
      if (this.common.size > 256) this.common.delete(this.common.keys().next().value as string);
    }
    return set;
  }

  /** Cosine similarity via sqlite-vec; vectors of another dimension (an older embedding model) are skipped. */
  override async searchEmbeddings(storyId: string, vector: Float32Array, limit: number): Promise<SearchHit[]> {
    if (vector.length === 0 || limit <= 0) return [];
    const rows = await this.c.db.all<Row>(`SELECT turn_id, vec_distance_cosine(vector, ?) AS d FROM embeddings
                                           WHERE story_id = ? AND dim = ? ORDER BY d, turn_id LIMIT ?`,
    [this.c.d.vector(vector), storyId, vector.length, Math.floor(limit)]);
    return rows.filter((r) => r.d !== null && Number.isFinite(Number(r.d))).map((r) => ({ turnId: r.turn_id as string, score: 1 - Number(r.d) }));
  }
}
