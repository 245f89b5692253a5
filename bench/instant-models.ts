import type { AgentName } from '../src/config/schema.js';
import type { GenerateRequest } from '../src/models/types.js';
import type { CallAgent } from '../src/pipeline/deps.js';
import { estimateTokens } from '../src/util/tokens.js';

/**
 * A scripted "model" with zero latency for benchmarks of everything except model time. Usage is the
 * token estimate of the real prompt, priced at Claude Haiku 4.5 for the Strategist ($1/$5 per M) and free
 * elsewhere (self-hosted), so cost figures reflect what the prompts would really cost.
 */
export const HAIKU_45 = { inputPerMTok: 1, outputPerMTok: 5 };

export function instantCallAgent(opts: { plan: (n: number) => unknown; prose: (n: number) => string; tokensPerChunk?: number }): CallAgent & { count: number } {
  let n = 0;
  const fn = (async (agent: AgentName, req: GenerateRequest, o = {}) => {
    const i = n++;
    const text = agent === 'strategist' ? JSON.stringify(opts.plan(i)) : agent === 'writer' ? opts.prose(i) : 'A summary.';
    if (o.onText) {
      const words = text.split(/(?<= )/);
      const per = opts.tokensPerChunk ?? 1;
      for (let k = 0; k < words.length; k += per) o.onText(words.slice(k, k + per).join(''));
    }
    const input = estimateTokens(`${req.system ?? ''}\n${req.messages.map((m) => m.content).join('\n')}`);
    const output = estimateTokens(text);
    const price = agent === 'strategist' ? HAIKU_45 : { inputPerMTok: 0, outputPerMTok: 0 };
    const costUsd = (input * price.inputPerMTok + output * price.outputPerMTok) / 1e6;
    return {
      text,
      usage: { inputTokens: input, outputTokens: output, cachedTokens: 0, estimated: true },
      modelName: agent === 'strategist' ? 'haiku' : 'local',
      ttftMs: 0,
      latencyMs: 0,
      calls: [
        {
          agent,
          provider: agent === 'strategist' ? 'anthropic' : 'local',
          model: agent === 'strategist' ? 'claude-haiku-4-5' : 'instant',
          inputTokens: input,
          outputTokens: output,
          cachedTokens: 0,
          estimated: true,
          latencyMs: 0,
          ttftMs: 0,
          outcome: 'ok' as const,
          costUsd,
          priceInPerMTok: price.inputPerMTok,
          priceOutPerMTok: price.outputPerMTok,
        },
      ],
    };
  }) as CallAgent & { count: number };
  Object.defineProperty(fn, 'count', { get: () => n });
  return fn;
}

export const SAMPLE_PLAN = (i: number) => ({
  intent: `Maren pushes the search forward (${i})`,
  tone: 'tense',
  beats: ['Maren studies the tide-map by lantern light', 'A knock: Korvin Ashe has been seen at the quay', 'She decides whether to follow'],
  entities: [
    { name: 'Maren Vale', kind: 'character' },
    { name: 'Korvin Ashe', kind: 'character' },
  ],
  factChanges: i % 10 === 0 ? [{ entity: 'Korvin Ashe', key: 'last seen', value: `the quay, turn ${i}` }] : [],
});

/** ~230 tokens of prose, about one Writer passage. */
export const SAMPLE_PROSE = (i: number) =>
  `Rain needles the harbour as Maren Vale spreads the tide-map across the table, pinning its corners with tin cups. ` +
  `The lantern gutters. Somewhere below, the bosun is counting rope again. She traces the inlet where Korvin Ashe was last seen, ` +
  `a finger's width of blue ink between two cliffs, and feels the old ache in her shoulder that always comes before a storm. ` +
  `A knock at the cabin door: a boy from the quay, breathless, cap in his hands. He has seen a lamp moving on the water where no boat should be. ` +
  `Maren folds the map, slow and careful, and reaches for her coat. Outside, the wind has shifted; the gulls have gone quiet. ` +
  `Whatever happens tonight, she thinks, the sea will keep its own counsel. Passage ${i}.`;
