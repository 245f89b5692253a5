import type { Entity } from '../store/types.js';
import { terminalLine } from '../util/terminal-text.js';
import type { FactLine, FactRow } from './ops.js';

/** Plain-text views of story memory shared by `luna entity|fact` and the TUI's /entity and /fact. */

export function turnLabel(n: number | null): string {
  return n === null ? '?' : n === 0 ? 'story' : `turn ${n}`;
}

/** "sword = reforged (from turn 2, player at turn 4)" or "sword removed (…)". */
export function factRowText(r: FactRow): string {
  const what = r.removed ? `${r.key} removed` : `${r.key} = ${r.value}`;
  const src = r.sourceTurn !== null && r.sourceTurn !== r.appliesFrom ? ` at ${turnLabel(r.sourceTurn)}` : '';
  return terminalLine(`${what} (from ${turnLabel(r.appliesFrom)}, ${r.origin}${src})`);
}

export function entityHeader(e: Entity): string {
  const aka = e.aliases.length ? ` (aka ${e.aliases.join(', ')})` : '';
  return terminalLine(`${e.name} [${e.kind}]${aka}`);
}

/** Who recorded the entity, and where: "found by the Dreamer in turn 12", "added or corrected by the player". */
export function entityOriginText(e: Entity, firstTurn: number | null): string {
  const at = firstTurn === null ? 'on another branch' : firstTurn === 0 ? 'for the whole story' : `in ${turnLabel(firstTurn)}`;
  switch (e.origin ?? 'plan') {
    case 'dreamer': return `found by the Dreamer ${at}`;
    case 'player': return 'added or corrected by the player';
    case 'import': return 'from the story file';
    case 'plan': return `named by the plan ${at}`;
  }
}

/** The sheet: header, who recorded it, summary, then each key's current value with its older values indented beneath. */
export function entitySheetLines(e: Entity, facts: FactLine[], firstTurn: number | null): string[] {
  const lines = [entityHeader(e), `  (${entityOriginText(e, firstTurn)})`];
  if (e.description) lines.push(`  ${terminalLine(e.description)}`);
  if (!facts.length) lines.push('  no facts yet');
  for (const f of facts) {
    lines.push(`  - ${factRowText(f)}`);
    for (const h of f.history) lines.push(`      was: ${factRowText(h)}`);
  }
  return lines;
}
