import type { GenerateRequest } from '../models/types.js';
import { BusyError, CancelledError, LunaError, ModelError, NotFoundError, UsageError, isAbortError, redactSecrets } from '../errors.js';
import type { Story, Turn } from '../store/types.js';
import type { AgentCallResult, LedgerCall, PipelineDeps } from './deps.js';
import type { CallCost, EntityUpdate, Stage, TurnEvent, TurnTotals } from './events.js';
import { parsePlan, planMaxTokens, type BeatPlan, beatPlanJsonSchema } from './plan.js';
import { callFitted, fitRequest, type BuildRequest } from './fit.js';
import type { Curated } from './preprocessor.js';
import type { FitLimits } from '../models/limits.js';
import { estimateTokens } from '../util/tokens.js';
import { branchSet } from './memory.js';
import { curateContext } from './preprocessor.js';
import { strategistRequest, strategistRetryRequest, writerRequest, type Steering } from './prompts.js';
import { resolveEntities } from './resolve.js';
import { turnMemory } from './dreamer-memory.js';
import { dreamerJobsFor } from './dreamer-jobs.js';

export interface TurnInput {
  storyId: string;
  action: string;
  /**
   * continue: after the head (default). retry: a new sibling of the head (another take).
   * from: branch after `fromTurnId` (null = from the very start).
   */
  mode?: 'continue' | 'retry' | 'from';
  fromTurnId?: string | null;
  /** The Writer goes on without a new action (`--continue`, `/continue`): `action` must be empty. */
  continue?: boolean;
  /** A note for this turn only, placed with the story's Author's Note (context.authorNoteDepth). */
  note?: string;
  /** An out-of-character instruction to the Strategist: shapes the plan, is not an event in the story. */
  ooc?: string;
}

/**
 * One turn: Preprocessor → Strategist → Writer → Commit, as a stream of typed events.
 * Nothing is written unless the whole turn succeeds; a failed or cancelled turn only records the calls
 * it already paid for (ledger rows without a turn), so no money goes unaccounted and no story changes.
 */
export async function* runTurn(input: TurnInput, deps: PipelineDeps): AsyncGenerator<TurnEvent, void, undefined> {
  const now = deps.now ?? (() => performance.now());
  const calls: LedgerCall[] = [];
  const stages: Partial<Record<Stage, number>> = {};
  const action = input.action.trim();
  const continued = Boolean(input.continue);
  const note = (input.note ?? '').trim();
  const ooc = (input.ooc ?? '').trim();
  let story: Story | null = null;
  try {
    if (continued && action) throw new UsageError('a turn that continues takes no action', { hint: 'drop the action, or play it as a normal turn' });
    if (!action && !continued) throw new UsageError('the action is empty', { hint: 'say what your character does, e.g. "open the door"' });
    const maxAction = deps.config.context.maxActionChars;
    for (const [what, text] of [['action', action], ['note', note], ['out-of-character instruction', ooc]] as const) {
      if (text.length > maxAction) {
        throw new UsageError(`the ${what} is ${text.length} characters; the limit is ${maxAction}`, { hint: 'shorten it (or raise context.maxActionChars): it goes whole to every model of the turn' });
      }
    }
    story = await deps.store.getStory(input.storyId);
    if (!story) throw new NotFoundError(`no story with id ${input.storyId}`, { hint: 'list stories with `luna story list`' });
    const { parentId, expectedHeadId } = await placement(input, story, deps);
    yield { type: 'turn-started', storyId: story.id, parentId, action };
    const guarded = (await deps.guard?.(story)) ?? undefined;
    const limits = guarded?.limits;
    for (const message of guarded?.warnings ?? []) yield { type: 'warning', message };
    const t0 = now();

    // 1. Preprocessor
    yield { type: 'stage-started', stage: 'preprocessor' };
    let s = now();
    const embed = deps.embed;
    const curated = await curateContext({
      store: deps.store,
      story,
      headId: parentId,
      action,
      notes: { story: story.authorNote, turn: note },
      config: deps.config.context,
      embed: embed ? (text) => embed(text, deps.signal) : undefined,
      now,
    });
    stages.preprocessor = now() - s;
    yield { type: 'stage-finished', stage: 'preprocessor', ms: stages.preprocessor };
    yield { type: 'context-ready', context: curated.context };
    throwIfAborted(deps.signal);

    // 2. Strategist
    yield { type: 'stage-started', stage: 'strategist' };
    s = now();
    const steer = { continued, ooc };
    const { plan, repaired, results: stratResults } = await planTurn(curated, action, steer, deps, calls);
    for (const r of stratResults) yield* costEvents(r.calls);
    stages.strategist = now() - s;
    yield { type: 'stage-finished', stage: 'strategist', ms: stages.strategist };
    yield { type: 'plan-ready', plan, repaired };

    // 3. Writer (streamed): tokens are pushed through a queue so they reach renderers as they arrive.
    // A turn that lost a race is told before the Writer streams (and bills) a whole passage, not at commit.
    if (((await deps.store.getStory(story.id))?.headTurnId ?? null) !== expectedHeadId) {
      throw new BusyError('story is busy: it moved on while this turn ran', { hint: 'look at the story again and retry the turn' });
    }
    yield { type: 'stage-started', stage: 'writer' };
    s = now();
    const writerCfg = deps.config.agents.writer;
    const queue: TurnEvent[] = [];
    let wake: (() => void) | null = null;
    const push = (e: TurnEvent) => {
      queue.push(e);
      wake?.();
    };
    let prose = '';
    const writerLimits = await deps.limits?.('writer');
    const buildWriter: BuildRequest = (budget) => writerRequest(curated.pack(budget), action, plan, { maxTokens: writerCfg.maxTokens, temperature: writerCfg.temperature, signal: deps.signal }, steer);
    const writerFit = await fitRequest('writer', buildWriter, contextBudget(deps.config.context.budgetTokens, action), writerLimits, deps.signal);
    const writing = callFitted('writer', writerFit, buildWriter, writerLimits, (req) =>
      deps.callAgent('writer', req, {
        signal: deps.signal,
        onText: (text) => {
          prose += text;
          push({ type: 'prose-token', text });
        },
        onRestart: (reason) => {
          prose = '';
          push({ type: 'prose-restart', reason });
        },
      }), deps.signal)
      .then((r) => {
        observe(writerLimits, writerFit.req, r);
        return r;
      })
      .then(
        (r) => ({ ok: true as const, r }),
        (err: unknown) => ({ ok: false as const, err }),
      );
    let settled: Awaited<typeof writing> | null = null;
    void writing.then((v) => {
      settled = v;
      wake?.();
    });
    while (!settled || queue.length) {
      if (!queue.length) await new Promise<void>((res) => (wake = res));
      wake = null;
      while (queue.length) yield queue.shift()!;
    }
    const w = settled as Awaited<typeof writing>;
    if (!w.ok) {
      collectCalls(w.err, calls);
      throw w.err;
    }
    calls.push(...w.r.calls);
    yield* costEvents(w.r.calls);
    prose = (w.r.text || prose).trim();
    stages.writer = now() - s;
    yield { type: 'stage-finished', stage: 'writer', ms: stages.writer };
    throwIfAborted(deps.signal);

    // 4. Resolve entities and commit atomically.
    yield { type: 'stage-started', stage: 'commit' };
    s = now();
    // The head cannot move under us unnoticed (commitTurn checks it), so the memory read for the context still holds.
    const { entities: known, branchIds } = curated.memory;
    const onBranch = branchSet(branchIds);
    const resolution = resolveEntities(plan, prose, known, (e) => e.firstTurnId === null || onBranch.has(e.firstTurnId));
    const depth = branchIds.length + 1;
    const review = deps.config.agents.dreamer.review;
    const memory = turnMemory(resolution.entities, resolution.facts, review);
    // In review mode nothing changed yet, so there is no sheet to update until the player accepts.
    const jobs = dreamerJobsFor(deps.config, { depth, hasEntityChanges: !review && (resolution.facts.length > 0 || resolution.updates.some((u) => u.status === 'new')) });
    const turn = await deps.store.commitTurn({
      storyId: story.id,
      expectedHeadId,
      parentId,
      action,
      prose,
      plan,
      ...memory,
      ledger: calls,
      jobs,
      limits,
      note,
      ooc,
      continued,
    });
    calls.length = 0; // now owned by the committed turn
    stages.commit = now() - s;
    yield { type: 'stage-finished', stage: 'commit', ms: stages.commit };
    if (guarded?.usdBudget) {
      const unpriced = [...new Set([...stratResults, w.r].flatMap((r) => r.calls).filter((c) => c.costUsd === null).map((c) => c.model))];
      if (unpriced.length) yield { type: 'warning', message: `no price for ${unpriced.join(', ')}: this turn's calls to it are not counted against the USD budget (set the model's price: luna cost prices)` };
    }
    if (memory.proposals?.length) {
      yield { type: 'warning', message: `${memory.proposals.length} memory change${memory.proposals.length === 1 ? '' : 's'} wait for review: luna memory review ${story.id} (or /review in play)` };
    }
    for (const update of resolution.updates) yield { type: 'entity-update', update };
    yield doneEvent(turn, plan, prose, resolution.updates, [...stratResults, w.r], stages, now() - t0, jobs.length);
  } catch (err) {
    if (calls.length && story) {
      // Paid-for calls of a turn that did not land still belong in the ledger.
      await deps.store.recordCalls(calls.map((c) => ({ ...c, accountId: story!.accountId, storyId: story!.id, turnId: null }))).catch(() => undefined);
    }
    yield errorEvent(err, action, deps.signal);
  }
}

async function placement(input: TurnInput, story: Story, deps: PipelineDeps): Promise<{ parentId: string | null; expectedHeadId: string | null }> {
  const head = story.headTurnId;
  if (!input.mode || input.mode === 'continue') return { parentId: head, expectedHeadId: head };
  if (input.mode === 'retry') {
    if (!head) throw new UsageError('there is no turn to retry yet', { hint: 'play a first turn' });
    const headTurn = await deps.store.getTurn(head);
    return { parentId: headTurn?.parentId ?? null, expectedHeadId: head };
  }
  const from = input.fromTurnId ?? null;
  if (from) {
    const t = await deps.store.getTurn(from);
    if (!t || t.storyId !== story.id) throw new NotFoundError(`turn ${from} is not in story ${story.id}`, { hint: 'see turn ids with `luna story show ID`' });
  }
  return { parentId: from, expectedHeadId: head };
}

/** The context's share of a budget once the action (which the prompt carries whole) has taken its part. */
function contextBudget(budget: number, action: string): number {
  return Math.max(0, budget - estimateTokens(action));
}

function observe(limits: FitLimits | undefined, req: GenerateRequest, r: AgentCallResult): void {
  if (limits && !r.usage.estimated) limits.observe(req, r.usage.inputTokens);
}

async function planTurn(curated: Curated, action: string, steer: Steering, deps: PipelineDeps, calls: LedgerCall[]): Promise<{ plan: BeatPlan; repaired: boolean; results: AgentCallResult[] }> {
  const cfg = deps.config.agents.strategist;
  const limits = await deps.limits?.('strategist');
  // Room for the longest plan the schema allows, so a grammar-constrained server always closes the JSON.
  let maxTokens = Math.max(cfg.maxTokens ?? 0, planMaxTokens(limits ? await limits.charsPerToken(deps.signal) : 3.5));
  if (limits?.contextTokens) maxTokens = Math.min(maxTokens, Math.floor(limits.contextTokens * 0.4));
  const budget = contextBudget(Math.min(deps.config.context.budgetTokens, deps.config.context.strategistBudgetTokens), `${action}\n${steer.ooc ?? ''}`);
  const build: BuildRequest = (b) => strategistRequest(curated.pack(b), action, { maxTokens, temperature: cfg.temperature, signal: deps.signal }, beatPlanJsonSchema, steer);
  const results: AgentCallResult[] = [];
  const attempt = async (b: BuildRequest) => {
    try {
      const fitted = await fitRequest('strategist', b, budget, limits, deps.signal);
      const res = await callFitted('strategist', fitted, b, limits, (r) => deps.callAgent('strategist', r, { signal: deps.signal }), deps.signal);
      observe(limits, fitted.req, res);
      calls.push(...res.calls);
      results.push(res);
      return res;
    } catch (err) {
      collectCalls(err, calls);
      throw err;
    }
  };
  const first = await attempt(build);
  const parsed = parsePlan(first.text);
  if (parsed.ok) return { plan: parsed.plan, repaired: parsed.repaired, results };
  throwIfAborted(deps.signal);
  // The retry carries the failed answer: it is fitted again, so prompt + retry + reply still fit the window.
  const second = await attempt((b) => strategistRetryRequest(build(b), first.text, parsed.error));
  // Last resort for a plan that is valid but for blank beats (small local models do this): the action is the beat.
  const again = parsePlan(second.text, { fallbackBeat: action || 'The story goes on.' });
  if (again.ok) return { plan: again.plan, repaired: true, results };
  throw new ModelError(`the Strategist returned an invalid plan twice (${again.error})`, {
    hint: 'use a model that supports JSON output for the strategist, or check its endpoint',
  });
}

function collectCalls(err: unknown, calls: LedgerCall[]): void {
  const attached = (err as { calls?: LedgerCall[] } | null)?.calls;
  if (Array.isArray(attached)) calls.push(...attached);
}

function* costEvents(list: LedgerCall[]): Generator<TurnEvent> {
  for (const c of list) {
    const call: CallCost = { agent: c.agent, model: c.model, provider: c.provider, inputTokens: c.inputTokens, outputTokens: c.outputTokens, costUsd: c.costUsd, outcome: c.outcome, latencyMs: c.latencyMs };
    yield { type: 'cost', call };
  }
}

function doneEvent(turn: Turn, plan: BeatPlan, prose: string, entities: EntityUpdate[], results: AgentCallResult[], stages: Partial<Record<Stage, number>>, latencyMs: number, jobsQueued: number): TurnEvent {
  const all = results.flatMap((r) => r.calls);
  const totals: TurnTotals = {
    costUsd: all.reduce((n, c) => n + (c.costUsd ?? 0), 0),
    unpricedCalls: all.filter((c) => c.costUsd === null).length,
    inputTokens: all.reduce((n, c) => n + c.inputTokens, 0),
    outputTokens: all.reduce((n, c) => n + c.outputTokens, 0),
    latencyMs,
    ttftMs: results.at(-1)?.ttftMs ?? null,
    stages,
  };
  return { type: 'done', turn, plan, prose, entities, totals, jobsQueued };
}

function errorEvent(err: unknown, action: string, signal?: AbortSignal): TurnEvent {
  if (signal?.aborted || isAbortError(err)) {
    const c = new CancelledError('turn cancelled; the story is unchanged');
    return { type: 'error', message: c.message, exitCode: c.exitCode, cancelled: true, action };
  }
  if (err instanceof LunaError) {
    return { type: 'error', message: redactSecrets(err.message), hint: err.hint, exitCode: err.exitCode, cancelled: false, action };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { type: 'error', message: redactSecrets(message), hint: 'unexpected error; re-run with --debug', exitCode: 1, cancelled: false, action };
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

export { BusyError };
