import { closeSync, openSync, readSync } from 'node:fs';
import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson, progress } from '../../cli/output.js';
import { looksLikeCard, readCard } from '../../cards/card.js';
import { cardToBundle } from '../../cards/convert.js';
import { requireAccount } from '../../story/find.js';
import { plural } from '../../util/plural.js';
import { readInputFile } from '../../util/read-input.js';
import { terminalLine } from '../../util/terminal-text.js';

/** Cards carry a picture; 32 MiB is far above any real card and far below what would hurt. */
export const CARD_MAX_BYTES = 32 * 1024 * 1024;

/** By its first bytes (PNG, zip) or, for JSON, by a card's `spec`/`first_mes` near the top; a missing file goes the story path (exit 4 there). */
export function isCardFile(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    return looksLikeCard(head.subarray(0, n));
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

export async function importCard(file: string, opts: { account: string }, g: GlobalOptions): Promise<void> {
  const card = readCard(readInputFile(file, CARD_MAX_BYTES, 'a character card'), file);
  const { bundle, notes, loreNotes } = cardToBundle(card, file);
  await withStore(g, async (store) => {
    await requireAccount(store, opts.account);
    const p = await progress(`importing ${card.data.name}…`, { json: g.json });
    const story = await store.importStory(bundle, opts.account);
    p.stop();
    const summary = {
      story, spec: card.spec, source: card.source, greetings: bundle.turns.length + (bundle.branches?.length ?? 0), lore: bundle.lore?.length ?? 0,
      tags: card.data.tags, image: Boolean(card.image), notes, loreNotes,
    };
    if (g.json) return printJson(summary);
    process.stdout.write(`imported character card "${terminalLine(story.title)}" (${card.spec === 'chara_card_v3' ? 'V3' : 'V2'} ${card.source.toUpperCase()}) as story ${story.id}: ` +
      `${plural(summary.greetings, 'greeting')} (the first opens the story, others are branches), ${plural(summary.lore, 'lore entry', 'lore entries')}` +
      `${card.data.tags.length ? `, tags ${card.data.tags.map(terminalLine).join(', ')}` : ''}${card.image ? ', with its picture' : ''}\n`);
    for (const n of notes) process.stdout.write(`  note: ${terminalLine(n)}\n`);
    for (const n of loreNotes) process.stdout.write(`  lore entry ${n.entry} "${terminalLine(n.title)}": ${terminalLine(n.note)}\n`);
    process.stdout.write(`next: luna play ${story.id}   (or: luna turn ${story.id} "your first action")\n`);
  });
}
