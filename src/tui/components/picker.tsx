import { plural } from '../../util/plural.js';
import { Box, Text, useInput } from 'ink';
import { useRef, useState } from 'react';
import type { StorySummary } from '../../store/types.js';
import { backspace, emptyInput, MAX_FIELD_CHARS, typeInto } from '../input-edit.js';
import { usePaste } from '../paste.js';
import { newStoryProblem } from '../story-input.js';
import type { Theme } from '../theme.js';
import { cellWidth, fitCells } from '../wrap.js';

type Form = { field: 'title' | 'premise'; title: string; premise: string };

export type PickResult = { kind: 'open'; id: string } | { kind: 'new'; title: string; premise: string } | { kind: 'quit' };

/** Recent stories (newest first) and "new story": ↑/↓ and Enter; a new story asks for a title and a premise. */
export function Picker(props: { stories: StorySummary[]; theme: Theme; width: number; height: number; onPick: (r: PickResult) => void }) {
  const { stories, theme } = props;
  const [sel, setSel] = useState(0);
  const [form, setFormState] = useState<Form | null>(null);
  // Why Enter did nothing on an empty field, until the next key.
  const [need, setNeed] = useState<string | null>(null);
  // Keys can outrun re-renders; typing edits the latest form, not the last rendered one.
  const formRef = useRef<Form | null>(null);
  const setForm = (f: Form | null) => {
    formRef.current = f;
    setFormState(f);
  };
  const count = stories.length + 1;
  // A field holds a little more than its limit, so a too-long title is refused with its length, not silently cut.
  const cap = (f: Form) => (f.field === 'title' ? MAX_FIELD_CHARS : 20_000);
  const pasting = usePaste(
    (text) => {
      const f = formRef.current;
      if (f) setForm({ ...f, [f.field]: typeInto(f[f.field], text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, ''), cap(f)) });
    },
    { isActive: true, cap: 20_000 },
  );
  useInput((input, key) => {
    if (pasting.current) return;
    const form = formRef.current;
    setNeed(null);
    if ((key.ctrl && (input === 'c' || input === 'd')) || (!form && input === 'q')) return props.onPick({ kind: 'quit' });
    if (form) {
      if (key.escape) return setForm(null);
      if (input.length > 1 && input.endsWith('\r')) {
        // "text\r" in one chunk (paste, tmux send-keys): the text, then Enter.
        const typed = { ...form, [form.field]: typeInto(form[form.field], input.slice(0, -1), cap(form)) };
        setForm(typed);
        return submitField(typed);
      }
      if (key.return) return submitField(form);
      const cur = form[form.field];
      // Backspace takes a whole character (an emoji is one), as in the story's input line.
      const next = key.backspace || key.delete ? backspace({ ...emptyInput(), value: cur, cursor: cur.length }).value : key.ctrl || key.meta || key.tab || /^\[[\d;<?]*[A-Za-z~]$/.test(input) ? cur : typeInto(cur, input, cap(form));
      return setForm({ ...form, [form.field]: next });
    }
    if (key.upArrow) setSel((s) => (s + count - 1) % count);
    else if (key.downArrow || key.tab) setSel((s) => (s + 1) % count);
    else if (key.return) {
      const story = stories[sel - 1];
      if (sel === 0) setForm({ field: 'title', title: '', premise: '' });
      else if (story) props.onPick({ kind: 'open', id: story.id });
    } else if (input === 'n') setForm({ field: 'title', title: '', premise: '' });
  });
  const submitField = (f: Form) => {
    if (!f[f.field].trim()) return setNeed(`a ${f.field} is needed`);
    const problem = newStoryProblem(f.field, f[f.field]);
    if (problem) return setNeed(problem);
    if (f.field === 'title') return setForm({ ...f, field: 'premise' });
    props.onPick({ kind: 'new', title: f.title.trim(), premise: f.premise.trim() });
  };
  // The title gives way on a narrow terminal, so the turn count, date and id stay visible.
  const row = (s: StorySummary) => {
    const meta = ` — ${plural(s.turnCount, 'turn')} · ${s.updatedAt.slice(0, 16).replace('T', ' ')} · ${s.id.slice(0, 8)}`;
    return `  ${fitCells(s.title, Math.max(8, props.width - 2 - cellWidth(meta)))}${meta}`;
  };
  const visible = Math.max(3, props.height - 6);
  const start = Math.max(0, Math.min(sel - 1, stories.length - visible));
  return (
    <Box flexDirection="column" width={props.width} height={props.height}>
      <Text bold color={theme.c('title')}>LUNA — pick a story</Text>
      <Text color={theme.c('dim')}>↑/↓ choose · Enter open · n new story · q quit</Text>
      <Text> </Text>
      {form ? (
        <Box flexDirection="column">
          <Text bold>New story</Text>
          <Text>
            {'Title:   '}
            <Text inverse={form.field === 'title'}>{form.title || ' '}</Text>
          </Text>
          <Text wrap="truncate-start">
            {'Premise: '}
            <Text inverse={form.field === 'premise'}>{form.premise || ' '}</Text>
          </Text>
          <Text color={theme.c(need ? 'warning' : 'dim')}>{need ? `${need} · Esc back` : 'Enter to continue · Esc back'}</Text>
        </Box>
      ) : (
        <Box flexDirection="column">
          <Text inverse={sel === 0} bold>{'+ new story'}</Text>
          {stories.slice(start, start + visible).map((s, i) => (
            <Text key={s.id} inverse={sel === start + i + 1} wrap="truncate-end">
              {row(s)}
            </Text>
          ))}
          {stories.length === 0 ? <Text color={theme.c('dim')}>  (no stories yet)</Text> : null}
        </Box>
      )}
    </Box>
  );
}
