import type { LunaConfig } from '../config/schema.js';
import { UsageError } from '../errors.js';
import { addLoreEntry, editLoreEntry } from '../lore/ops.js';
import { curateContext } from '../pipeline/preprocessor.js';
import type { LoreEntry, Store, Story } from '../store/types.js';
import type { PanelText } from './views.js';

/**
 * `/lore` in play: the story's lore with what the next action would trigger, and quick edits by number:
 * `/lore add Title: text`, `/lore on N`, `/lore off N`, `/lore rm N`. Everything else is `luna lore edit`.
 */
export const LORE_USAGE = '/lore, /lore add Title: text, /lore on N, /lore off N, /lore rm N';

export async function lorePanel(store: Store, story: Story, config: LunaConfig, draft: string): Promise<PanelText> {
  const lore = await store.listLore(story.id);
  const curated = await curateContext({ store, story, headId: story.headTurnId, action: draft || 'continue', config: config.context });
  const why = new Map((curated.context.lore ?? []).map((l) => [l.id, l]));
  const lines = lore.length ? [] : ['no lore yet: /lore add Title: what the models should know'];
  lore.forEach((l, i) => {
    const t = why.get(l.id);
    const state = !l.enabled ? 'off' : t ? (t.via === 'missed' ? 'missed' : t.included ? 'IN' : 'cut') : '';
    lines.push(`${String(i + 1).padStart(3)}. ${state.padEnd(6)} ${l.title} — keys: ${l.keywords.join(', ') || '(title)'}${l.constant ? '; constant' : ''}${l.probability < 100 ? `; ${l.probability}%` : ''}`);
    if (t) lines.push(`         ${t.why}`);
    lines.push(`         ${l.body.split('\n')[0]!.slice(0, 160)}`);
  });
  lines.push('', `IN = in the next turn's context${draft ? ` for "${draft.slice(0, 40)}"` : ''}; ${LORE_USAGE}; luna lore edit for every rule`);
  return { title: `lore of "${story.title}" (${lore.length})`, lines };
}

/** Runs `/lore add|on|off|rm …`; returns the notice to show. */
export async function loreCommand(store: Store, story: Story, args: string[]): Promise<string> {
  const [verb = '', ...rest] = args;
  const lore = await store.listLore(story.id);
  const nth = (): LoreEntry => {
    const n = Number(rest[0]);
    const e = Number.isInteger(n) ? lore[n - 1] : undefined;
    if (!e) throw new UsageError(`/lore ${verb} needs an entry number from 1 to ${lore.length}, found "${rest[0] ?? ''}"`, { hint: '/lore lists the numbers' });
    return e;
  };
  switch (verb) {
    case 'add': {
      const text = rest.join(' ');
      const colon = text.indexOf(':');
      if (colon < 1 || !text.slice(colon + 1).trim()) throw new UsageError('/lore add needs "Title: text"', { hint: 'e.g. /lore add Drowned Chapel: its bell rings at low tide' });
      const e = await addLoreEntry(store, story.id, { title: text.slice(0, colon).trim(), body: text.slice(colon + 1).trim() });
      return `added lore "${e.title}" (its title is its key; luna lore edit sets keys and rules)`;
    }
    case 'on':
    case 'off': {
      const e = await editLoreEntry(store, story.id, nth(), { enabled: verb === 'on' });
      return `lore "${e.title}" is ${verb}`;
    }
    case 'rm': {
      const e = nth();
      await store.deleteLore(story.id, e.id);
      return `removed lore "${e.title}"`;
    }
    default:
      throw new UsageError(`/lore does not know "${verb}"`, { hint: LORE_USAGE });
  }
}
