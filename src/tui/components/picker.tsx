import { Box, Text, useInput } from 'ink';
import { useRef, useState } from 'react';
import type { StorySummary } from '../../store/types.js';
import { typeInto } from '../input-edit.js';
import type { Theme } from '../theme.js';

type Form = { field: 'title' | 'premise'; title: string; premise: string };

export type PickResult = { kind: 'open'; id: string } | { kind: 'new'; title: string; premise: string } | { kind: 'quit' };

/** Recent stories (newest first) and "new story": ↑/↓ and Enter; a new story asks for a title and a premise. */
export function Picker(props: { stories: StorySummary[]; theme: Theme; width: number; height: number; onPick: (r: PickResult) => void }) {
  const { stories, theme } = props;
  const [sel, setSel] = useState(0);
  const [form, setFormState] = useState<Form | null>(null);
  // Keys can outrun re-renders; typing edits the latest form, not the last rendered one.
  const formRef = useRef<Form | null>(null);
  const setForm = (f: Form | null) => {
    formRef.current = f;
    setFormState(f);
  };
  const count = stories.length + 1;
  useInput((input, key) => {
    const form = formRef.current;
    if ((key.ctrl && (input === 'c' || input === 'd')) || (!form && input === 'q')) return props.onPick({ kind: 'quit' });
    if (form) {
      if (key.escape) return setForm(null);
      if (input.length > 1 && input.endsWith('\r')) {
        // "text\r" in one chunk (paste, tmux send-keys): the text, then Enter.
        const typed = { ...form, [form.field]: typeInto(form[form.field], input.slice(0, -1)) };
        setForm(typed);
        if (form.field === 'title') return typed.title.trim() ? setForm({ ...typed, field: 'premise' }) : undefined;
        if (typed.premise.trim()) props.onPick({ kind: 'new', title: typed.title.trim(), premise: typed.premise.trim() });
        return;
      }
      if (key.return) {
        if (form.field === 'title') return form.title.trim() ? setForm({ ...form, field: 'premise' }) : undefined;
        if (form.premise.trim()) props.onPick({ kind: 'new', title: form.title.trim(), premise: form.premise.trim() });
        return;
      }
      const cur = form[form.field];
      const next = key.backspace || key.delete ? cur.slice(0, -1) : key.ctrl || key.meta || key.tab ? cur : typeInto(cur, input);
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
          <Text color={theme.c('dim')}>Enter to continue · Esc back</Text>
        </Box>
      ) : (
        <Box flexDirection="column">
          <Text inverse={sel === 0} bold>{'+ new story'}</Text>
          {stories.slice(start, start + visible).map((s, i) => (
            <Text key={s.id} inverse={sel === start + i + 1} wrap="truncate-end">
              {`  ${s.title} — ${s.turnCount} turns · ${s.updatedAt.slice(0, 16).replace('T', ' ')} · ${s.id.slice(0, 8)}`}
            </Text>
          ))}
          {stories.length === 0 ? <Text color={theme.c('dim')}>  (no stories yet)</Text> : null}
        </Box>
      )}
    </Box>
  );
}
