import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStory } from '../../bench/story-gen.js';
import { prng } from '../../bench/prng.js';
import type { PostgresStore } from '../../src/store/postgres/index.js';
import { searchPhrases, searchTerms } from '../../src/store/fts-query.js';
import { addTurn, chain } from '../store/fixtures.js';
import { useMigratedDb } from './pg-helpers.js';

/**
 * PostgreSQL's turn search (src/store/postgres/search.ts): document frequencies kept in story_lexemes by
 * triggers (migration 0011), and rarest-first scoring that must rank exactly as scoring every hit would.
 */
let url = '';
let store: PostgresStore;
let c: pg.Client;
useMigratedDb(4, (u, s) => {
  url = u;
  store = s;
});
beforeAll(async () => {
  c = new pg.Client({ connectionString: url });
  await c.connect();
});
afterAll(async () => {
  await c?.end();
});

/**
 * Every turn scored on every item: what the search must equal. An item weighs ln((N+1)/df), a term's df its hits,
 * a phrase's the hits of its rarest word (a bound known before it is searched, as the search weighs it).
 */
const EXHAUSTIVE = `
  WITH q AS (SELECT u.w, CASE WHEN u.ph THEN phraseto_tsquery('english', u.w) ELSE plainto_tsquery('english', u.w) END AS tq
               FROM unnest($2::text[], $3::boolean[]) AS u(w, ph)),
       n AS (SELECT coalesce(max(depth), 1) AS n FROM turns WHERE story_id = $1),
       lex AS (SELECT l, count(*) AS n FROM turns t, unnest(tsvector_to_array(t.tsv)) AS l WHERE t.story_id = $1 GROUP BY l),
       df AS (SELECT q.w, min(coalesce(lex.n, 0)) AS df
                FROM q CROSS JOIN unnest(tsvector_to_array(to_tsvector('english', q.w))) AS ql(l) LEFT JOIN lex ON lex.l = ql.l GROUP BY q.w),
       hits AS (SELECT q.w, t.id, t.seq FROM q JOIN turns t ON t.story_id = $1 AND t.tsv @@ q.tq),
       idf AS (SELECT w, ln((greatest((SELECT n FROM n), df) + 1.0) / df) AS v FROM df WHERE df > 0)
  SELECT h.id FROM hits h JOIN idf USING (w) GROUP BY h.id, h.seq ORDER BY round(sum(idf.v)::numeric, 9) DESC, h.seq DESC LIMIT $4`;

/** The search's items for a query: its terms and adjacent-word phrases (src/store/fts-query.ts). */
const items = (query: string) => {
  const all = [...searchTerms(query).map((w) => [w, false] as const), ...searchPhrases(query).map((w) => [w, true] as const)];
  return [all.map((x) => x[0]), all.map((x) => x[1])];
};

/** story_lexemes must always equal a recount from the turns themselves. */
async function expectCountsExact(): Promise<void> {
  const diff = await c.query(`
    WITH truth AS (SELECT t.story_id, l AS lexeme, min(t.account_id) AS account_id, count(*)::int AS df
                   FROM turns t, unnest(tsvector_to_array(t.tsv)) AS l GROUP BY 1, 2)
    (SELECT story_id, lexeme, account_id, df FROM truth EXCEPT ALL SELECT story_id, lexeme, account_id, df FROM story_lexemes)
    UNION ALL
    (SELECT story_id, lexeme, account_id, df FROM story_lexemes EXCEPT ALL SELECT story_id, lexeme, account_id, df FROM truth)`);
  expect(diff.rows).toEqual([]);
}

const df = async (storyId: string, lexeme: string) =>
  Number((await c.query('SELECT df FROM story_lexemes WHERE story_id = $1 AND lexeme = $2', [storyId, lexeme])).rows[0]?.df ?? 0);

describe('PostgreSQL turn search', () => {
  it('a rare word outranks a common one, and the common word still finds turns when nothing rarer does', async () => {
    const st = await store.createStory({ title: 'Keys', premise: 'p' });
    const turns = [];
    for (let i = 0; i < 40; i++) turns.push(await addTurn(store, st.id, 'I look', `Another key hangs on hook ${i}.`));
    const rare = await addTurn(store, st.id, 'I look', 'The zephyrquill rests on the shelf.');
    const both = await addTurn(store, st.id, 'I look', 'The key opens the zephyrquill case.');
    const hits = (await store.searchTurns(st.id, 'key zephyrquill', 5)).map((h) => h.turnId);
    expect(hits.slice(0, 2)).toEqual([both.id, rare.id]);
    // The rest are the newest key turns: ties go to the newest.
    expect(hits.slice(2)).toEqual([turns[39]!.id, turns[38]!.id, turns[37]!.id]);
    expect(await df(st.id, 'key')).toBe(41);
  });

  it('ranks exactly as scoring every turn on every word and phrase would, for any limit (random stories and queries)', async () => {
    const r = prng(7);
    const vocab = ['amber', 'brass', 'cellar', 'dagger', 'ember', 'falcon', 'gate', 'harbor', 'ink', 'jetty', 'kettle', 'lantern'];
    // Zipf-like: the first words are in most turns, the last in a few.
    const word = () => vocab[Math.min(vocab.length - 1, Math.floor(vocab.length * r() ** 2.5))]!;
    // Rare words that come in threes: their hits add up past a limit while the turns they share do not,
    // so the rare words alone cannot fill the answer and the search must read on.
    const clusters = Array.from({ length: 8 }, (_, i) => ['quill', 'rune', 'sable'].map((w) => `${w}${String.fromCharCode(97 + i)}x`));
    const prose = () => [...Array.from({ length: 6 }, word), ...(r() < 0.2 ? clusters[Math.floor(r() * clusters.length)]! : [])].join(' ');
    const st = await store.importStory({ title: 'Random', premise: 'p', turns: Array.from({ length: 400 }, () => ({ action: word(), prose: prose() })) });
    const queryWord = () => (r() < 0.4 ? clusters[Math.floor(r() * 3)]![Math.floor(r() * 3)]! : word());
    let checked = 0;
    for (let k = 0; k < 60; k++) {
      const terms = [...new Set(Array.from({ length: 1 + Math.floor(r() * 5) }, queryWord))];
      // With commas the words stay apart; with spaces, each adjacent pair is a phrase item too.
      for (const query of [terms.join(', '), terms.join(' ')]) {
        for (const limit of [1, 5, 24, 72]) {
          const want = (await c.query(EXHAUSTIVE, [st.id, ...items(query), limit])).rows.map((x) => x.id);
          expect((await store.searchTurns(st.id, query, limit)).map((h) => h.turnId), `${query} / ${limit}`).toEqual(want);
          checked++;
        }
      }
    }
    expect(checked).toBe(480);
    await expectCountsExact();
  });

  it('reads only the rare words\' hits when they prove the answer, not a place name\'s hundreds', async () => {
    // 600 turns: the Hollow Library in 60, the strongroom's password in 6 (3 of them at the library).
    const prose = (i: number) =>
      i % 100 === 7 ? `The password to the ${i % 200 === 7 ? 'Hollow Library ' : ''}strongroom is ember ${i}.`
      : i % 10 === 3 ? `We pass the Hollow Library again, ${i}.` : `The road goes on, ${i}.`;
    const st = await store.importStory({ title: 'Vault', premise: 'p', turns: Array.from({ length: 600 }, (_, i) => ({ action: 'walk', prose: prose(i) })) });
    const query = 'What is the password to the Hollow Library strongroom?';
    await c.query('BEGIN');
    try {
      const got = (await c.query('SELECT turn_id FROM luna_search_turns($1, $2, $3, 5)', [st.id, ...items(query)])).rows.map((x) => x.turn_id);
      const fetched = Number((await c.query(`SELECT pg_stat_get_xact_tuples_fetched('turns'::regclass) AS n`)).rows[0].n);
      expect(got).toEqual((await c.query(EXHAUSTIVE, [st.id, ...items(query), 5])).rows.map((x) => x.id));
      // The password and strongroom turns (6 each, and the 3 phrase hits): every item read would be ~200.
      expect(fetched).toBeLessThan(40);
    } finally {
      await c.query('ROLLBACK');
    }
  });

  it('an edited turn is found by its new words only, and the counts follow the edit', async () => {
    const st = await store.createStory({ title: 'Edit', premise: 'p' });
    const [, t2] = await chain(store, st.id, 3, 'walk');
    await addTurn(store, st.id, 'I wait', 'A gull circles the mooring.');
    expect(await df(st.id, 'gull')).toBe(1);
    await store.editTurnProse(st.id, t2!.id, 'The lighthouse keeper feeds a gull.');
    expect(await df(st.id, 'gull')).toBe(2);
    expect(await df(st.id, 'lighthous')).toBe(1);
    expect((await store.searchTurns(st.id, 'lighthouse', 5)).map((h) => h.turnId)).toEqual([t2!.id]);
    await store.editTurnProse(st.id, t2!.id, 'Fog rolls in.');
    expect(await store.searchTurns(st.id, 'lighthouse', 5)).toEqual([]);
    expect(await df(st.id, 'lighthous')).toBe(0);
    expect(await df(st.id, 'gull')).toBe(1);
    await expectCountsExact();
  });

  it('counts every branch, are unchanged by undo, and go with their story when it is deleted', async () => {
    const st = await store.createStory({ title: 'Branches', premise: 'p' });
    const [t1, t2] = await chain(store, st.id, 2, 'sail');
    // A second branch from t1, then undo back to t2's line: both branches stay searchable.
    await store.setHead(st.id, t1!.id);
    const side = await addTurn(store, st.id, 'I turn back', 'The marmalade jar breaks.');
    await store.setHead(st.id, t2!.id);
    expect(await df(st.id, 'marmalad')).toBe(1);
    expect(await df(st.id, 'sail')).toBe(2);
    expect((await store.searchTurns(st.id, 'marmalade', 5)).map((h) => h.turnId)).toEqual([side.id]);
    const other = await store.createStory({ title: 'Other', premise: 'p' });
    await addTurn(store, other.id, 'I sail', 'Marmalade again.');
    expect(await store.deleteStory(st.id)).toBe(true);
    expect((await c.query('SELECT count(*)::int AS n FROM story_lexemes WHERE story_id = $1', [st.id])).rows[0].n).toBe(0);
    expect(await df(other.id, 'marmalad')).toBe(1);
    await expectCountsExact();
  });

  it('keeps accounts apart: a scoped store searches with its own counts, and cannot read another account\'s', async () => {
    await store.ensureAccount('s-a');
    await store.ensureAccount('s-b');
    const a = store.forAccount('s-a');
    const sa = await a.createStory({ title: 'A', premise: 'p' });
    const ta = await addTurn(a, sa.id, 'I search', 'The quillwort grows by the well.');
    const sb = await store.createStory({ accountId: 's-b', title: 'B', premise: 'p' });
    const tb = await addTurn(store, sb.id, 'I search', 'Quillwort everywhere.');
    expect((await a.searchTurns(sa.id, 'quillwort', 5)).map((h) => h.turnId)).toEqual([ta.id]);
    expect(await a.searchTurns(sb.id, 'quillwort', 5)).toEqual([]);
    // The search with its turns runs on the owner's connection too: confined by the same check.
    expect((await a.searchPassages(sa.id, 'quillwort', 5, 5)).turns.map((p) => p.turn.id)).toEqual([ta.id]);
    expect(await a.searchPassages(sb.id, 'quillwort', 5, 5)).toEqual({ hits: [], turns: [] });
    expect(await a.getPassageTurns(sb.id, [tb.id])).toEqual([]);
    await c.query('BEGIN');
    try {
      await c.query(`SELECT set_config('role', 'luna_app', true), set_config('luna.account_id', 's-a', true)`);
      const seen = (await c.query(`SELECT DISTINCT account_id FROM story_lexemes WHERE lexeme = 'quillwort'`)).rows.map((x) => x.account_id);
      expect(seen).toEqual(['s-a']);
      await expect(c.query(`UPDATE story_lexemes SET df = 0`)).rejects.toThrow(/permission denied/);
    } finally {
      await c.query('ROLLBACK');
    }
  });

  it('an account\'s big import refreshes the planner\'s statistics, so its story is not taken for a one-turn story', async () => {
    await store.ensureAccount('s-import');
    const bundle = generateStory({ turns: 600, facts: [], seed: 5 }).bundle;
    const st = await store.forAccount('s-import').importStory(bundle);
    // Without statistics the planner took a new 10k-turn story for one row, and read all of it for every search word.
    const plan = (await c.query(`EXPLAIN (FORMAT JSON) SELECT id FROM turns WHERE story_id = $1`, [st.id])).rows[0]['QUERY PLAN'][0].Plan;
    expect(plan['Plan Rows']).toBeGreaterThan(300);
    expect((await store.forAccount('s-import').searchTurns(st.id, bundle.turns[42]!.prose.split(' ').slice(0, 6).join(' '), 3)).length).toBe(3);
  });

  it('finds a story\'s turns for a word inside the index, without reading the same word in other stories', async () => {
    const turns = Array.from({ length: 400 }, (_, i) => ({ action: 'look', prose: i % 40 ? `The tide turns ${i}.` : `The quorbel gleams ${i}.` }));
    const a = await store.importStory({ title: 'Twin', premise: 'p', turns });
    for (let i = 0; i < 3; i++) await store.importStory({ title: 'Twin', premise: 'p', turns });
    await c.query('ANALYZE turns');
    expect((await c.query(`SELECT to_regclass('turns_story_tsv')::text AS s, to_regclass('turns_tsv')::text AS t`)).rows[0]).toEqual({ s: 'turns_story_tsv', t: null });
    const plan = (await c.query(`EXPLAIN (ANALYZE, FORMAT JSON) SELECT id FROM turns WHERE story_id = $1 AND tsv @@ plainto_tsquery('english', 'quorbel')`, [a.id])).rows[0]['QUERY PLAN'][0].Plan;
    const find = (p: { 'Node Type': string; Plans?: unknown[] }): { 'Index Name': string; 'Actual Rows': number } | undefined =>
      p['Node Type'] === 'Bitmap Index Scan' ? (p as never) : (p.Plans ?? []).map((x) => find(x as never)).find(Boolean);
    // The story's 10 postings, not the 40 the word has in the database.
    expect(find(plan)).toMatchObject({ 'Index Name': 'turns_story_tsv', 'Actual Rows': 10 });
    expect((await store.searchTurns(a.id, 'quorbel', 100)).length).toBe(10);
  });

  it('keeps the text index\'s pending list short after a bulk import, so a lookup reads a few pages', async () => {
    const st = await store.importStory(generateStory({ turns: 600, facts: [], seed: 3 }).bundle);
    const plan = (await c.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT id FROM turns WHERE story_id = $1 AND tsv @@ plainto_tsquery('english', 'zephyrquill')`, [st.id])).rows[0]['QUERY PLAN'][0].Plan;
    const find = (p: { 'Node Type': string; Plans?: unknown[] }): { 'Shared Hit Blocks': number; 'Shared Read Blocks': number } | undefined =>
      p['Node Type'] === 'Bitmap Index Scan' ? (p as never) : (p.Plans ?? []).map((x) => find(x as never)).find(Boolean);
    const scan = find(plan);
    expect(scan).toBeDefined();
    // With the 4 MB default the 600 turns' entries sat unmerged (~70 pages, every one read by each lookup).
    expect(scan!['Shared Hit Blocks'] + scan!['Shared Read Blocks']).toBeLessThan(20);
  });

  it('migrates down and up: the counts and the read functions are dropped, then rebuilt from the turns already there', async () => {
    const st = await store.createStory({ title: 'Migrate', premise: 'p' });
    await addTurn(store, st.id, 'I read', 'The almanac names every tide.');
    expect((await store.migrationStatus()).latest).toBe(17);
    expect((await store.migrateDown(10)).sort()).toEqual([11, 12, 13, 14, 15, 16, 17]);
    expect((await c.query(`SELECT to_regclass('story_lexemes') AS t, (SELECT count(*)::int FROM pg_trigger WHERE tgname LIKE 'turns_lexemes_%') AS n,
                                  (SELECT count(*)::int FROM pg_proc WHERE proname IN ('luna_story_lexemes_sync', 'luna_search_turns', 'luna_story_memory', 'luna_search_passages', 'luna_passage_turns')) AS f,
                                  (SELECT reloptions FROM pg_class WHERE relname = 'turns_tsv') AS o, to_regclass('turns_story_seq') AS i`)).rows[0])
      .toEqual({ t: null, n: 0, f: 0, o: null, i: null });
    // Turns written while the counts are gone are counted by the rebuild.
    await addTurn(store, st.id, 'I read', 'The almanac is wrong about the tide.');
    expect(await store.migrateUp()).toEqual([11, 12, 13, 14, 15, 16, 17]);
    expect(await df(st.id, 'almanac')).toBe(2);
    expect((await store.searchTurns(st.id, 'almanac', 5)).length).toBe(2);
    expect((await store.searchPassages(st.id, 'almanac', 5, 5)).turns.map((p) => p.turn.prose)).toHaveLength(2);
    await expectCountsExact();
  });
});
