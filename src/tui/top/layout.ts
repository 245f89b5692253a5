import type { Line, Pane, PaneId } from '../../top/panes.js';

/** One pane as it fits on screen: its title row (or its title at the head of its first line), then its rows. */
export interface PaneBox {
  id: PaneId;
  title: string;
  focused: boolean;
  /** The title shares the first content line (small terminals): saves a row per one-line pane. */
  inlineTitle: boolean;
  /** Panes with selectable rows get a one-character gutter that marks the selection (visible without colour). */
  gutter: boolean;
  lines: Line[];
  /** Index into `lines` of the selected row, if visible. */
  selectedLine: number | null;
}

/** Who gets spare rows first after every pane has one: what an operator scans for trouble. */
const PRIORITY: PaneId[] = ['alerts', 'shards', 'service', 'money', 'burst', 'dreamer'];

function contentOf(p: Pane): Line[] {
  return p.unreachable ? [{ text: p.unreachable, tone: 'error' }, ...p.lines.map((l) => ({ ...l, tone: 'dim' as const }))] : p.lines;
}

/**
 * Fits the panes into `rows` rows. When everything does not fit, panes without a table carry their title on
 * their first line; then each pane gets one row, and spare rows go one at a time, the focused pane first, then
 * by PRIORITY. A cut pane ends with "… N more"; a table keeps its header and scrolls to the selection.
 */
export function layoutPanes(panes: Pane[], rows: number, focus: PaneId, selected: Partial<Record<PaneId, number>>, zoom: boolean): PaneBox[] {
  const shown = zoom ? panes.filter((p) => p.id === focus) : panes;
  const content = new Map(shown.map((p) => [p.id, contentOf(p)]));
  const full = shown.reduce((n, p) => n + 1 + content.get(p.id)!.length, 0);
  const inline = new Set(full > rows && !zoom ? shown.filter((p) => !p.rows.length && content.get(p.id)!.length).map((p) => p.id) : []);
  const give = new Map(shown.map((p) => [p.id, 0]));
  let left = rows - shown.filter((p) => !inline.has(p.id)).length;
  for (const p of shown) if (left > 0 && content.get(p.id)!.length) { give.set(p.id, 1); left--; }
  const order = [focus, ...PRIORITY.filter((id) => id !== focus)].filter((id) => content.has(id));
  let progress = true;
  while (left > 0 && progress) {
    progress = false;
    for (const id of order) {
      if (left <= 0) break;
      if (give.get(id)! < content.get(id)!.length) { give.set(id, give.get(id)! + 1); left--; progress = true; }
    }
  }
  return shown.map((p) => {
    const all = content.get(p.id)!;
    const n = give.get(p.id)!;
    const sel = selected[p.id];
    const row = sel !== undefined ? p.rows[Math.min(sel, p.rows.length - 1)] : undefined;
    const selLine = row ? row.line + (p.unreachable ? 1 : 0) : null;
    let lines: Line[];
    let selectedLine: number | null = null;
    if (all.length <= n) {
      lines = all;
      selectedLine = selLine;
    } else if (n <= 0) {
      lines = [];
    } else {
      // keep the head (header / unreachable line), scroll the rest so the selection is on screen, say what is cut
      const head = Math.min(p.rows.length ? (p.unreachable ? 2 : 1) : 0, n);
      const body = Math.max(0, n - head - 1);
      let start = head;
      if (selLine !== null && selLine >= head + body) start = selLine - body + 1;
      lines = [...all.slice(0, head), ...all.slice(start, start + body)];
      if (selLine !== null && selLine >= start && selLine < start + body) selectedLine = head + (selLine - start);
      if (lines.length < n) lines.push({ text: `… ${all.length - lines.length} more line(s)${zoom ? '' : ' (Enter zooms)'}`, tone: 'dim' });
    }
    return { id: p.id, title: p.title, focused: p.id === focus, inlineTitle: inline.has(p.id) && lines.length > 0, gutter: p.rows.length > 0, lines, selectedLine };
  });
}
