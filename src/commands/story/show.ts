import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { terminalLine, terminalText } from '../../util/terminal-text.js';
import { UsageError } from '../../errors.js';
import { listBranches } from '../../story/branches.js';
import { imagesByTurn } from '../../story/images.js';
import { findStory } from '../../story/find.js';
import { plural } from '../../util/plural.js';

export async function run(ref: string, opts: { last: string }, g: GlobalOptions): Promise<void> {
  const last = Number(opts.last);
  if (!Number.isInteger(last) || last < 0) throw new UsageError(`--last expects a whole number, found "${opts.last}"`);
  await withStore(g, async (store) => {
    const story = await findStory(store, ref);
    const [turns, total, branches, entities, arcs, jobs] = await Promise.all([
      store.getBranch(story.id, story.headTurnId, { limit: last }),
      store.countTurns(story.id),
      listBranches(store, story),
      store.listEntities(story.id),
      store.listArcSummaries(story.id),
      store.jobCounts(story.id),
    ]);
    // Each branch by its tip: the id `luna turn ID --to` takes to switch to it.
    const branchList = branches.map((b, i) => ({ n: i + 1, tipTurnId: b.leaf.id, turns: b.leaf.depth, lastAction: b.leaf.action, head: b.leaf.id === story.headTurnId }));
    const card = await store.getStoryCard(story.id);
    const images = await store.listTurnImages(story.id, { turnIds: turns.map((t) => t.id) });
    const byTurn = imagesByTurn(images);
    const cardInfo = card ? { spec: card.spec, tags: card.tags, image: card.image !== null } : null;
    if (g.json) return printJson({ story, turnCount: total, branches: branches.length, branchList, turns, entities, arcs, jobs, card: cardInfo, images });
    const out: string[] = [`${story.title}  (${story.id})`, story.premise, ''];
    if (story.authorNote) out.push(`author's note: ${terminalText(story.authorNote)}`, '');
    out.push(`${plural(total, 'turn')}, ${plural(branches.length, 'branch')}, ${plural(entities.length, 'entity')}, ${plural(arcs.length, 'summary')}; jobs queued ${jobs.queued}, failed ${jobs.failed}`, '');
    if (cardInfo) out.push(`from a character card (${cardInfo.spec === 'chara_card_v3' ? 'V3' : 'V2'}${cardInfo.image ? ', with its picture' : ''})${cardInfo.tags.length ? `; tags: ${terminalLine(cardInfo.tags.join(', '))}` : ''}`, '');
    if (branches.length > 1) {
      out.push('branches (switch with: luna turn ID --to TIP):');
      for (const [i, b] of branchList.entries()) {
        const last = branches[i]!.leaf.continued ? '(continued)' : b.lastAction.replace(/\s+/g, ' ').slice(0, 50);
        out.push(`${b.head ? '*' : ' '} ${String(b.n).padStart(2)}. tip ${b.tipTurnId}  ${plural(b.turns, 'turn')} — ${last}`);
      }
      out.push('');
    }
    for (const t of turns) {
      out.push(`[${t.depth}] ${t.id}${t.editedAt ? '  (edited)' : ''}`, t.continued ? '(continued)' : `> ${t.action}`);
      if (t.note) out.push(`  note: ${terminalLine(t.note)}`);
      if (t.ooc) out.push(`  ooc: ${terminalLine(t.ooc)}`);
      out.push(t.prose);
      for (const img of byTurn.get(t.id) ?? []) out.push(`image: ${terminalLine(img.path)}${img.width !== null && img.height !== null ? `  (${img.width}x${img.height})` : ''}`);
      out.push('');
    }
    process.stdout.write(`${out.join('\n')}\n`);
  });
}
