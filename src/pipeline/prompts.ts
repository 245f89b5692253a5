import type { GenerateRequest } from '../models/types.js';
import type { BeatPlan } from './plan.js';

/**
 * Prompts are deliberately terse: the Strategist runs on a paid model every turn, and each word here
 * is paid for on every call (see bench/pipeline.ts for tokens per turn at Haiku 4.5 prices).
 */

const STRATEGIST_SYSTEM = [
  'You are the Strategist of an interactive story. Plan the next passage as JSON:',
  '{"intent": one sentence, "tone": a word or two, "beats": 1-4 short beats,',
  '"entities": [{"name","kind"}] of characters/places/items that appear (kind: character|place|item|faction|other),',
  '"factChanges": [{"entity","key","value"}] only for lasting changes (e.g. an item lost, a new ally)}.',
  'Respect the player action. Keep names and facts consistent with the memory. JSON only.',
].join('\n');

/** How a turn was steered beyond its action: the Strategist alone reads the out-of-character instruction. */
export interface Steering {
  /** The Writer goes on without a new action. */
  continued?: boolean;
  ooc?: string;
}

const CONTINUE_ACTION = '(none: the player asks the story to go on from where it stands)';

/** The player's part of a prompt: the action (or that there is none), then the out-of-character instruction. */
function playerPart(action: string, steer: Steering, withOoc: boolean): string {
  const parts = [`## Player action\n${steer.continued || !action ? CONTINUE_ACTION : action}`];
  if (withOoc && steer.ooc?.trim()) parts.push(`## Out-of-character instruction (for the plan; not an event in the story)\n${steer.ooc.trim()}`);
  return parts.join('\n\n');
}

export function strategistRequest(memory: string, action: string, opts: { maxTokens?: number; temperature?: number; signal?: AbortSignal }, jsonSchema: Record<string, unknown>, steer: Steering = {}): GenerateRequest {
  return {
    system: STRATEGIST_SYSTEM,
    messages: [{ role: 'user', content: `${memory}\n\n${playerPart(action, steer, true)}` }],
    maxTokens: opts.maxTokens ?? 220,
    temperature: opts.temperature ?? 0.4,
    json: { name: 'beat_plan', schema: jsonSchema },
    signal: opts.signal,
  };
}

/** A second attempt tells the model what went wrong; cheaper than a blind retry. */
export function strategistRetryRequest(base: GenerateRequest, badOutput: string, error: string): GenerateRequest {
  return {
    ...base,
    messages: [
      ...base.messages,
      { role: 'assistant', content: badOutput.slice(0, 600) },
      { role: 'user', content: `That was not a valid plan (${error.slice(0, 160)}). Reply with the JSON plan only.` },
    ],
  };
}

const WRITER_SYSTEM = [
  'You are the Writer of an interactive story. Write the next passage: vivid, concrete prose in the story\'s style,',
  'two to four short paragraphs, following the plan\'s beats and ending on a moment that invites the player\'s next move.',
  'Use the names and facts from the memory exactly. Do not speak for the player beyond their action. Prose only.',
].join('\n');

export function writerRequest(memory: string, action: string, plan: BeatPlan, opts: { maxTokens?: number; temperature?: number; signal?: AbortSignal }, steer: Steering = {}): GenerateRequest {
  const beats = plan.beats.map((b, i) => `${i + 1}. ${b}`).join('\n');
  return {
    system: WRITER_SYSTEM,
    messages: [
      {
        role: 'user',
        content: `${memory}\n\n${playerPart(action, steer, false)}\n\n## Plan (${plan.tone})\n${plan.intent}\n${beats}\n\nWrite the passage.`,
      },
    ],
    maxTokens: opts.maxTokens ?? 500,
    temperature: opts.temperature ?? 0.8,
    signal: opts.signal,
  };
}

export function arcSummaryRequest(premise: string, previous: string | null, turns: string, maxTokens?: number): GenerateRequest {
  return {
    system: 'Summarise this stretch of an interactive story in 3-5 sentences: who did what, what changed, open threads. Keep every proper name.',
    messages: [{ role: 'user', content: `Premise: ${premise}\n${previous ? `Earlier: ${previous}\n` : ''}\nTurns:\n${turns}\n\nSummary:` }],
    maxTokens: maxTokens ?? 200,
    temperature: 0.3,
  };
}

export function imagePromptRequest(prose: string, style: string, maxTokens?: number): GenerateRequest {
  return {
    system: 'Write one image-generation prompt (max 60 words) for the scene: subjects, setting, lighting, composition, art style. No names of real artists.',
    messages: [{ role: 'user', content: `Style: ${style || 'cinematic illustration'}\nScene:\n${prose.slice(0, 1500)}\n\nPrompt:` }],
    maxTokens: maxTokens ?? 90,
    temperature: 0.7,
  };
}

export function entitySheetRequest(name: string, description: string, facts: string, maxTokens?: number): GenerateRequest {
  return {
    system: 'Update a story character/place/item sheet: one or two sentences describing it as it is now, consistent with the facts. Sheet text only.',
    messages: [{ role: 'user', content: `${name}\nCurrent sheet: ${description || '(none)'}\nFacts:\n${facts}\n\nNew sheet:` }],
    maxTokens: maxTokens ?? 90,
    temperature: 0.3,
  };
}
