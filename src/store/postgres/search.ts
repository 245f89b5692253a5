import type { PassageSearch, SearchHit } from '../contract/records.js';
import { searchPhrases, searchTerms } from '../fts-query.js';
import type { SqlContext } from '../sql/context.js';
import type { Executor, Row } from '../sql/executor.js';
import { toPassageTurns } from '../sql/passages.js';

/**
 * Full-text search over the generated tsvector (GIN-indexed). Each sanitized, stopword-free term and each
 * adjacent-word phrase (the ones SQLite's FTS5 query uses; plainto_tsquery/phraseto_tsquery, so no user text can
 * form tsquery syntax) is an item, and a turn scores the sum of the IDF of the items it matches,
 * ln((N+1)/df), N the story's deepest turn: like BM25 without term frequency, so a rare word or a phrase
 * outweighs a common one. Ties go to the newest turn.
 *
 * The search runs on the server as luna_search_turns (migrations 0012, 0016): document frequencies from
 * story_lexemes (migration 0011, kept by triggers; a phrase counts as its rarest word), then items searched rarest
 * first (MaxScore), so a common word's thousands of hits are never read when rarer words decide the answer. One call: the client once made two to four round
 * trips, each statement parsed and planned again, and at 10,000 turns that was most of a search's time.
 */
const SEARCH_SQL = 'SELECT turn_id, rank FROM luna_search_turns($1, $2::text[], $3::boolean[], $4::integer, $5::text)';

/** `account`: the tenant the search is confined to (the function checks the story is theirs); null for the owner. */
export async function searchTurnsPg(q: Executor, storyId: string, query: string, limit: number, account: string | null): Promise<SearchHit[]> {
  const rows = await q.all<Row>(SEARCH_SQL, [storyId, ...searchItems(query), limit, account]);
  return rows.map((r) => ({ turnId: r.turn_id as string, score: Number(r.rank) }));
}

/**
 * The search and the first `read` hits' passage turns in one call (luna_search_passages, migration 0013): the hits
 * are its k = 2 rows (rank as text). The turns are read by the hits' ids, which the search has already confined to
 * the account's story, so reading them on the owner's connection shows nothing the account may not see.
 */
const SEARCH_PASSAGES_SQL = 'SELECT * FROM luna_search_passages($1, $2::text[], $3::boolean[], $4::integer, $5::text, $6::integer, $7::text[])';

export async function searchPassagesPg(
  c: SqlContext, q: Executor, storyId: string, query: string, limit: number, read: number, also: readonly string[], account: string | null,
): Promise<PassageSearch> {
  const rows = await q.all<Row>(SEARCH_PASSAGES_SQL, [storyId, ...searchItems(query), limit, account, read, also]);
  const hits = rows.filter((r) => Number(r.k) === 2).map((r) => ({ turnId: r.id as string, score: Number(r.edge) }));
  return { hits, turns: hits.length ? toPassageTurns(c, storyId, [...hits.slice(0, read).map((h) => h.turnId), ...also], rows) : [] };
}

/** The function's items: each sanitized term, then each adjacent-word phrase, as the words and is-phrase arrays. */
function searchItems(query: string): [string[], boolean[]] {
  const words = [...searchTerms(query).map((w) => ({ w, phrase: false })), ...searchPhrases(query).map((w) => ({ w, phrase: true }))];
  return [words.map((x) => x.w), words.map((x) => x.phrase)];
}
