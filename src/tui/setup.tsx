import { existsSync } from 'node:fs';
import path from 'node:path';
import { Box, Text, useApp, useInput } from 'ink';
import { useRef, useState } from 'react';
import type { StarterChoice } from '../config/starter.js';
import { terminalLine } from '../util/terminal-text.js';
import { typeInto } from './input-edit.js';
import type { Theme } from './theme.js';

/**
 * First-run setup when no agent model is usable: pick the demo model, a GGUF file, an OpenAI-compatible
 * server or Claude. The caller writes the choice with writeStarterConfig; this screen only asks.
 */
export interface SetupProps {
  missing: { model: string; path: string }[];
  configFile: string;
  theme: Theme;
  onDone: (choice: StarterChoice | null) => void;
  env?: NodeJS.ProcessEnv;
}

/**
 * A text field. `suggestion` is a default shown dimmed while the field is untouched: Enter accepts it,
 * the first typed character replaces it, Backspace or Ctrl-U drops it, Tab (or →) takes it in for editing.
 */
type Field = {
  kind: 'field';
  label: string;
  value: string;
  suggestion: string | null;
  error: string | null;
  /** Something was typed, cleared or taken in: only then may a blank field be refused with an error. */
  touched: boolean;
  next: (v: string) => StarterChoice | Step | string;
};
type Step = { kind: 'menu' } | Field;

const CTRL_U = '\x15';

/** Applies a typed chunk to a field: Ctrl-U inside it clears what came before, an untouched suggestion is replaced. */
function typeIntoField(f: Field, chunk: string): Field {
  const cut = chunk.lastIndexOf(CTRL_U);
  const base = cut >= 0 || f.suggestion !== null ? '' : f.value;
  return { ...f, value: typeInto(base, cut >= 0 ? chunk.slice(cut + 1) : chunk), suggestion: null, error: null, touched: true };
}

/**
 * The OpenAI-compatible base URL: exactly one absolute http(s) URL with a host, no spaces, no second
 * scheme glued on (typing over a pre-filled default used to produce "http://a/v1http://b/v1").
 * Returns the URL without trailing slashes, or an error message.
 */
export function checkBaseUrl(raw: string): { url: string } | { error: string } {
  const example = 'e.g. http://127.0.0.1:1234/v1';
  const v = raw.trim();
  if (!v) return { error: `enter the server's base URL, ${example}` };
  if (/[\s\p{Cc}]/u.test(v)) return { error: `a URL cannot contain spaces, ${example}` };
  if (!/^https?:\/\//i.test(v)) return { error: `expected an http:// or https:// URL, ${example}` };
  if ((v.match(/[a-z][a-z0-9+.-]*:\/\//gi) ?? []).length > 1) return { error: `that is more than one URL (a second "://" inside), ${example}` };
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return { error: `not a valid URL, ${example}` };
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname) return { error: `expected an http(s) URL with a host, ${example}` };
  return { url: v.replace(/\/+$/, '') };
}

const MENU = [
  'Use the 1.2 MB TinyStories demo model (then run `luna models pull demo`)',
  'A GGUF model file on this machine',
  'An OpenAI-compatible server (LM Studio, llama.cpp server, vLLM, Ollama)',
  'Claude for planning (key in ANTHROPIC_API_KEY), demo model for writing',
];

export function Setup(props: SetupProps) {
  const { theme } = props;
  const { exit } = useApp();
  const [sel, setSel] = useState(0);
  const [step, setStepState] = useState<Step>({ kind: 'menu' });
  // Keys can outrun re-renders (a pasted URL arrives key by key): edits apply to the latest step.
  const stepRef = useRef<Step>(step);
  const setStep = (next: Step) => {
    stepRef.current = next;
    setStepState(next);
  };
  const finish = (choice: StarterChoice | null) => {
    props.onDone(choice);
    exit();
  };
  const field = (label: string, next: Field['next'], suggestion: string | null = null): Field => ({ kind: 'field', label, value: '', suggestion, error: null, touched: false, next });
  const choose = (i: number) => {
    if (i === 0) return finish({ kind: 'demo' });
    if (i === 1) {
      return setStep(field('Path to the .gguf file', (v) => {
        if (!v) return 'enter the path to a .gguf file';
        const p = path.resolve(v.replace(/^~(?=\/|$)/, process.env.HOME ?? '~'));
        if (!existsSync(p)) return `no file at ${p}`;
        if (!p.toLowerCase().endsWith('.gguf')) return 'expected a .gguf file';
        return { kind: 'gguf', path: p, threads: 2 };
      }));
    }
    if (i === 2) {
      return setStep(field('Base URL', (raw) => {
        const r = checkBaseUrl(raw);
        if ('error' in r) return r.error;
        return field('Model name (as the server lists it)', (model) => (model ? { kind: 'openai', baseUrl: r.url, model } : 'enter the model name'));
      }, 'http://127.0.0.1:1234/v1'));
    }
    const hasKey = Boolean((props.env ?? process.env).ANTHROPIC_API_KEY);
    return setStep(field(`Claude model${hasKey ? '' : ' (set ANTHROPIC_API_KEY before playing)'}`, (model) => (model ? { kind: 'anthropic', model } : 'enter a model id'), 'claude-haiku-4-5'));
  };
  useInput((input, key) => {
    const step = stepRef.current;
    if ((key.ctrl && (input === 'c' || input === 'd')) || (step.kind === 'menu' && (input === 'q' || key.escape))) return finish(null);
    if (step.kind === 'menu') {
      if (key.upArrow) setSel((s) => (s + MENU.length - 1) % MENU.length);
      else if (key.downArrow) setSel((s) => (s + 1) % MENU.length);
      else if (key.return) choose(sel);
      // "2\r" in one chunk (a quick Enter after the digit, tmux send-keys): the Enter confirms the choice, it
      // does not also submit the new, still blank field.
      else if (/^[1-4]\r?$/.test(input)) choose(Number(input[0]) - 1);
      return;
    }
    if (key.escape) return setStep({ kind: 'menu' });
    // "text\r" in one chunk (paste, tmux send-keys): the text, then Enter.
    const typedEnter = input.length > 1 && input.endsWith('\r');
    if (key.return || typedEnter) {
      const typed = typedEnter ? typeIntoField(step, input.slice(0, -1)) : step;
      // An untouched field submits its suggestion.
      const value = typed.suggestion ?? typed.value;
      // Enter on a field nobody has typed in yet (often the Enter after choosing from the menu) is not a submission.
      if (!typed.touched && typed.suggestion === null && !value.trim()) return;
      const r = step.next(value.trim());
      // Refused: the error shows under the field, which keeps what was submitted for editing.
      if (typeof r === 'string') return setStep({ ...typed, value, suggestion: null, error: r });
      if ('kind' in r && (r.kind === 'menu' || r.kind === 'field')) return setStep(r);
      return finish(r as StarterChoice);
    }
    if (key.ctrl && input === 'u') return setStep({ ...step, value: '', suggestion: null, error: null, touched: true });
    if (step.suggestion !== null && (key.tab || key.rightArrow)) return setStep({ ...step, value: step.suggestion, suggestion: null, error: null, touched: true });
    if (key.backspace || key.delete) {
      return setStep({ ...step, value: step.suggestion !== null ? '' : step.value.slice(0, -1), suggestion: null, error: null, touched: true });
    }
    if (input && !key.ctrl && !key.meta) setStep(typeIntoField(step, input));
  });
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text bold color={theme.c('title')}>Welcome to LUNA — let's pick a model</Text>
      {props.missing.map((m) => (
        <Text key={m.model} color={theme.c('warning')}>{terminalLine(`model "${m.model}" needs ${m.path}, which is not there`)}</Text>
      ))}
      <Text color={theme.c('dim')}>{terminalLine(`Your choice is written to ${props.configFile} (edit it any time).`)}</Text>
      <Text> </Text>
      {step.kind === 'menu' ? (
        <Box flexDirection="column">
          {MENU.map((m, i) => (
            <Text key={i} inverse={i === sel}>{`${i + 1}. ${m}`}</Text>
          ))}
          <Text color={theme.c('dim')}>↑/↓ or 1-4, Enter to choose · q quits</Text>
        </Box>
      ) : (
        <Box flexDirection="column">
          <Text>
            {`${step.label}: `}
            {step.suggestion !== null ? (
              <>
                <Text inverse> </Text>
                <Text color={theme.c('dim')}>{step.suggestion}</Text>
                <Text color={theme.c('dim')}>{'  (default)'}</Text>
              </>
            ) : (
              <Text inverse>{step.value || ' '}</Text>
            )}
          </Text>
          {step.error ? <Text color={theme.c('error')}>{terminalLine(`✗ ${step.error}`)}</Text> : null}
          <Text color={theme.c('dim')}>
            {step.suggestion !== null
              ? 'Enter accepts the default · type to replace it · Tab to edit it · Esc back'
              : 'Enter to confirm · Ctrl-U clears · Esc back'}
          </Text>
        </Box>
      )}
    </Box>
  );
}
