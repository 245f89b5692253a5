import { existsSync } from 'node:fs';
import path from 'node:path';
import { Box, Text, useApp, useInput } from 'ink';
import { useRef, useState } from 'react';
import type { StarterChoice } from '../config/starter.js';
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

type Step = { kind: 'menu' } | { kind: 'field'; label: string; value: string; error: string | null; next: (v: string) => StarterChoice | Step | string };

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
  const field = (label: string, next: Extract<Step, { kind: 'field' }>['next'], value = ''): Step => ({ kind: 'field', label, value, error: null, next });
  const choose = (i: number) => {
    if (i === 0) return finish({ kind: 'demo' });
    if (i === 1) {
      return setStep(field('Path to the .gguf file', (v) => {
        const p = path.resolve(v.replace(/^~(?=\/|$)/, process.env.HOME ?? '~'));
        if (!existsSync(p)) return `no file at ${p}`;
        if (!p.toLowerCase().endsWith('.gguf')) return 'expected a .gguf file';
        return { kind: 'gguf', path: p, threads: 2 };
      }));
    }
    if (i === 2) {
      return setStep(field('Base URL', (url) => {
        if (!/^https?:\/\/[^\s]+$/.test(url)) return 'expected an http(s) URL, e.g. http://127.0.0.1:1234/v1';
        return field('Model name (as the server lists it)', (model) => (model ? { kind: 'openai', baseUrl: url.replace(/\/+$/, ''), model } : 'enter the model name'));
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
      else if (/^[1-4]$/.test(input)) choose(Number(input) - 1);
      return;
    }
    if (key.escape) return setStep({ kind: 'menu' });
    // "text\r" in one chunk (paste, tmux send-keys): the text, then Enter.
    const typedEnter = input.length > 1 && input.endsWith('\r');
    if (key.return || typedEnter) {
      const value = typedEnter ? typeInto(step.value, input.slice(0, -1)) : step.value;
      const r = step.next(value.trim());
      if (typeof r === 'string') return setStep({ ...step, value, error: r });
      if ('kind' in r && (r.kind === 'menu' || r.kind === 'field')) return setStep(r);
      return finish(r as StarterChoice);
    }
    if (key.backspace || key.delete) return setStep({ ...step, value: step.value.slice(0, -1), error: null });
    if (input && !key.ctrl && !key.meta) setStep({ ...step, value: typeInto(step.value, input), error: null });
  });
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text bold color={theme.c('title')}>Welcome to LUNA — let's pick a model</Text>
      {props.missing.map((m) => (
        <Text key={m.model} color={theme.c('warning')}>{`model "${m.model}" needs ${m.path}, which is not there`}</Text>
      ))}
      <Text color={theme.c('dim')}>{`Your choice is written to ${props.configFile} (edit it any time).`}</Text>
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
            <Text inverse>{step.value || ' '}</Text>
          </Text>
          {step.error ? <Text color={theme.c('error')}>{`✗ ${step.error}`}</Text> : null}
          <Text color={theme.c('dim')}>Enter to confirm · Esc back</Text>
        </Box>
      )}
    </Box>
  );
}
