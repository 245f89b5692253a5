import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readCard } from '../src/cards/card.js';
import { cardToBundle } from '../src/cards/convert.js';
import { writeCard } from '../src/cards/write.js';
import { contextSchema } from '../src/config/schema.js';
import { parseLorebook } from '../src/lore/import.js';
import { matchLore } from '../src/pipeline/lore-match.js';
import { curateContext } from '../src/pipeline/preprocessor.js';
import { openStore } from '../src/store/open.js';
import { LORE_DEFAULTS, type LoreEntry, type NewLore } from '../src/store/types.js';
import { prng } from './prng.js';
import { generateStory } from './story-gen.js';

/**
 * Lore at the sizes lorebooks reach: the matcher alone over 100 / 1,000 / 5,000 entries (plain, regex and
 * secondary keys, recursion on), context assembly on a 10,000-turn story with 0 and 1,000 entries, a
 * 5,000-entry SillyTavern import, and a character card with a 2 MB picture in and out. Medians (p50) and p99.
 */
const WORDS = ['river', 'stone', 'lantern', 'road', 'mist', 'forest', 'tower', 'ember', 'captain', 'harbor', 'blade', 'whisper', 'storm', 'glass', 'bell', 'chapel', 'guild', 'tide'];

/** Entries named like lorebooks name them (one proper name each, an alias), whose text names a couple of others. */
const nameOf = (i: number) => `Kor${i.toString(36)}vane`;
function lorebook(n: number, seed: number): NewLore[] {
  const r = prng(seed);
  const w = () => WORDS[Math.floor(r() * WORDS.length)]!;
  return Array.from({ length: n }, (_, i) => ({
    title: `Entry ${i}`,
    body: `${Array.from({ length: 30 }, w).join(' ')}; kin of ${nameOf(Math.floor(r() * n))} and ${nameOf(Math.floor(r() * n))}.`,
    keywords: r() < 0.1 ? [`/${nameOf(i)}s?/i`] : [nameOf(i), `the ${w()} of ${nameOf(i)}`],
    secondaryKeys: r() < 0.3 ? [w()] : [],
    logic: r() < 0.5 ? 'and-any' : 'not-any',
    probability: r() < 0.1 ? 50 : 100,
  }));
}

function stats(times: number[]): { p50: number; p99: number } {
  const s = [...times].sort((a, b) => a - b);
  const at = (q: number) => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]! * 1000) / 1000;
  return { p50: at(0.5), p99: at(0.99) };
}

async function timed(n: number, fn: (i: number) => unknown | Promise<unknown>): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
  }
  return stats(times);
}

export async function run(): Promise<Record<string, unknown>> {
  const r = prng(9);
  // Prose of plain words that names a few entries, as recent turns do.
  const text = (n: number, names = 0, of = 100) =>
    [...Array.from({ length: n }, () => WORDS[Math.floor(r() * WORDS.length)]!), ...Array.from({ length: names }, () => nameOf(Math.floor(r() * of)))].join(' ');
  const matcher: Record<string, unknown> = {};
  for (const n of [100, 1_000, 5_000]) {
    const lore: LoreEntry[] = lorebook(n, n).map((l, i) => ({ ...LORE_DEFAULTS, constant: false, keywords: [], ...l, id: `e${i}`, storyId: 's' }) as LoreEntry);
    const action = text(30, 1, n);
    const context = text(600, 6, n);
    let triggered = 0;
    const t = await timed(60, (i) => (triggered = matchLore(lore, { action, context, seed: `s:${i}`, maxRecursion: 3 }).triggered.length));
    matcher[`${n} entries`] = { ...t, triggered };
  }

  const dir = mkdtempSync(path.join(tmpdir(), 'luna-bench-lore-'));
  try {
    const store = await openStore({ url: `sqlite:${path.join(dir, 'l.db')}`, poolSize: 1 }, dir, { autoMigrateSqlite: true });
    const config = contextSchema.parse({});
    const gen = generateStory({ turns: 10_000, facts: [{ turn: 5_000 }], seed: 3 });
    const story = await store.importStory(gen.bundle);
    const assembly = async () => timed(40, () => curateContext({ store, story, headId: story.headTurnId, action: `I ask about ${text(3, 1, 1_000)}`, config }));
    await assembly(); // warm
    const without = await assembly();
    const t0 = performance.now();
    await store.importLore(story.id, lorebook(1_000, 1));
    const importMs = performance.now() - t0;
    const withLore = await assembly();

    const st = { entries: Object.fromEntries(lorebook(5_000, 2).map((l, i) => [String(i), { uid: i, key: l.keywords, keysecondary: l.secondaryKeys, comment: l.title, content: l.body, selectiveLogic: 0, order: 100, position: 0 }])) };
    const other = await store.createStory({ title: 'Import', premise: 'p' });
    const t1 = performance.now();
    const book = parseLorebook(st, 'bench.json');
    const parseMs = performance.now() - t1;
    await store.importLore(other.id, book.entries);
    const stImportMs = performance.now() - t1;

    const picture = { ...gen.bundle, turns: gen.bundle.turns.slice(0, 1).map((t) => ({ action: '', prose: t.prose })), branches: [], entities: [{ name: 'Bench', kind: 'character' as const, description: 'x' }],
      card: { spec: 'chara_card_v3' as const, data: { name: 'Bench' }, image: writeCard({ title: 'x', premise: '', turns: [] }, 'png').toString('base64') } };
    const png = writeCard({ ...picture, title: 'Bench', lore: lorebook(200, 4) }, 'png');
    const cardIn = await timed(20, () => cardToBundle(readCard(png, 'bench.png'), 'bench.png'));
    const cardOut = await timed(20, () => writeCard({ ...picture, title: 'Bench', lore: lorebook(200, 4) }, 'png'));
    await store.close();
    return {
      matcherMs: matcher,
      contextAssembly10kTurnsMs: { noLore: without, lore1000: withLore },
      loreImport1000EntriesMs: Math.round(importMs),
      sillyTavernImport5000Entries: { parseMs: Math.round(parseMs), parseAndWriteMs: Math.round(stImportMs) },
      card: { pngBytes: png.length, readMs: cardIn, writeMs: cardOut },
      goals: { contextAssemblyP50WithLore1000: '≤ 5 ms (the store bench goal for 10k turns)', matcher5000P50: '≤ 10 ms' },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
