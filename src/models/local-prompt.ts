/** Prompt shaping for local models: plain text for base models, chat history for templated ones. */
import type { ChatHistoryItem, LlamaChatSession, LlamaModel } from 'node-llama-cpp';
import type { GenerateRequest } from './types.js';

/** Base models continue text, so the prompt is just the system text and turns, latest last. */
export function completionPrompt(req: GenerateRequest, _json: boolean): string {
  return [req.system ?? '', ...req.messages.map((m) => m.content)].filter((s) => s.length > 0).join('\n\n');
}

/**
 * History for LlamaChatSession (everything but the last user message) plus that prompt, with the oldest turns
 * dropped until the templated text fits `budget` tokens. inputTokens is the templated prompt's exact size.
 */
export function buildChatHistory(
  session: LlamaChatSession,
  model: LlamaModel,
  req: GenerateRequest,
  budget: number,
): { history: ChatHistoryItem[]; prompt: string; inputTokens: number } {
  const msgs = [...req.messages];
  const last = msgs.at(-1);
  let prompt = last && last.role === 'user' ? (msgs.pop(), last.content) : '';
  const system: ChatHistoryItem[] = req.system ? [{ type: 'system', text: req.system }] : [];
  let turns: ChatHistoryItem[] = msgs.map((m) => (m.role === 'user' ? { type: 'user', text: m.content } : { type: 'model', response: [m.content] }));
  const count = (): number => {
    const state = session.chatWrapper.generateContextState({
      chatHistory: [...system, ...turns, { type: 'user', text: prompt }, { type: 'model', response: [] }],
    });
    return state.contextText.tokenize(model.tokenizer).length;
  };
  let n = count();
  while (n > budget && turns.length > 0) {
    turns = turns.slice(1);
    n = count();
  }
  if (n > budget) {
    // Even alone the prompt is too long: keep its end.
    const tokens = model.tokenize(prompt);
    prompt = model.detokenize(tokens.slice(Math.max(0, n - budget)));
    n = count();
  }
  return { history: [...system, ...turns], prompt, inputTokens: n };
}
