import { LunaError } from '../errors.js';
import { openJobQueue } from '../queue/open.js';
import type { JobOutcome, JobQueue, RunTally } from '../queue/types.js';
import type { Job, Story } from '../store/types.js';
import type { LedgerCall, PipelineDeps } from './deps.js';
import { writeDreamerMemory } from './dreamer-memory.js';
import { extractFactsRequest, extractionChanges, extractionMaxTokens, parseExtraction } from './extract-facts.js';
import { currentFacts } from './memory.js';
import { arcSummaryRequest, entitySheetRequest, imagePromptRequest } from './prompts.js';

/**
 * The Dreamer: enrichment off the critical path. Jobs live in the durable queue (the store's job table,
 * or BullMQ), so a crash loses nothing: an expired lock makes the job claimable again.
 */

export type DreamerDeps = Pick<PipelineDeps, 'store' | 'config' | 'callAgent' | 'embed' | 'signal' | 'renderImages' | 'traceJob'>;

export interface DrainOptions {
  workerId: string;
  /** Stop after this many jobs (default: until the queue is empty). */
  maxJobs?: number;
  lockMs?: number;
  onJob?: (job: Job, outcome: JobOutcome, error?: string) => void;
  /** Where jobs come from; default: the queue config `queue:` names (opened and closed here). */
  queue?: JobQueue;
  /** false: keep waiting for new jobs until deps.signal aborts (`luna dream` without --once). Default true. */
  once?: boolean;
  pollMs?: number;
  concurrency?: number;
  onWarning?: (message: string) => void;
}

export async function drainJobs(deps: DreamerDeps, opts: DrainOptions): Promise<RunTally> {
  const queue = opts.queue ?? (await openJobQueue(deps.config.queue, deps.store));
  try {
    const handle = (job: Job, signal: AbortSignal) => runJob(job, { ...deps, signal });
    const traced = deps.traceJob;
    return await queue.run(traced ? (job, signal) => traced(job, () => handle(job, signal)) : handle, {
      workerId: opts.workerId,
      maxJobs: opts.maxJobs,
      lockMs: opts.lockMs,
      onJob: opts.onJob,
      once: opts.once ?? true,
      pollMs: opts.pollMs,
      concurrency: opts.concurrency,
      signal: deps.signal,
      onWarning: opts.onWarning,
    });
  } finally {
    if (!opts.queue) await queue.close();
  }
}

export async function runJob(job: Job, deps: DreamerDeps): Promise<void> {
  const story = await deps.store.getStory(job.storyId);
  if (!story) return; // deleted since: nothing to enrich
  const turn = job.turnId ? await deps.store.getTurn(job.turnId) : null;
  const record = async (calls: LedgerCall[]) => {
    if (calls.length) await deps.store.recordCalls(calls.map((c) => ({ ...c, accountId: story.accountId, storyId: story.id, turnId: job.turnId })));
  };
  // agents.dreamer.maxTokens wins; a reply of bounded size (a schema's worst case) never gets more than it needs.
  const call = async (req: Parameters<DreamerDeps['callAgent']>[1], opts: { bounded?: boolean } = {}) => {
    const configured = deps.config.agents.dreamer.maxTokens;
    const maxTokens = opts.bounded && req.maxTokens !== undefined ? Math.min(configured ?? req.maxTokens, req.maxTokens) : (configured ?? req.maxTokens);
    try {
      const res = await deps.callAgent('dreamer', { ...req, maxTokens, signal: deps.signal }, { signal: deps.signal });
      await record(res.calls);
      return res.text.trim();
    } catch (err) {
      const calls = (err as { calls?: LedgerCall[] }).calls;
      if (calls) await record(calls);
      throw err;
    }
  };
  switch (job.kind) {
    case 'embed-turn': {
      if (!turn || !deps.embed) return;
      const v = await deps.embed(`${turn.action}\n${turn.prose}`, deps.signal);
      if (v) await deps.store.putEmbedding(turn.id, story.id, v);
      return;
    }
    case 'arc-summary':
    case 'story-summary': {
      if (!turn) return;
      await summarise(job, story, turn.id, deps, call);
      return;
    }
    case 'entity-sheet': {
      if (!turn) return;
      await updateSheets(story, turn.id, deps, call);
      return;
    }
    case 'extract-facts': {
      if (!turn || !turn.prose.trim()) return;
      const known = await deps.store.listEntities(story.id);
      const text = await call(extractFactsRequest(turn.prose, known.map((e) => e.name), extractionMaxTokens()), { bounded: true });
      const extraction = parseExtraction(text);
      // Unreadable output is not retried: the same model on the same prose would answer the same.
      // The player's review (agents.dreamer.review) and fact history apply to what is read from prose as to any Dreamer change.
      if (extraction) await writeDreamerMemory(deps.store, story.id, turn.id, extractionChanges(extraction, known), { review: deps.config.agents.dreamer.review, origin: 'dreamer' });
      return;
    }
    case 'image-prompt': {
      if (!turn) return;
      // A retried job reuses the prompt it already paid for when only the rendering failed.
      const saved = deps.renderImages ? (await deps.store.getImagePrompts([turn.id]))[turn.id] : undefined;
      const prompt = saved ?? (await call(imagePromptRequest(turn.prose, story.style))).slice(0, 600);
      if (!prompt) return;
      if (!saved) await deps.store.saveImagePrompt(turn.id, prompt);
      if (!deps.renderImages) return;
      // A failed rendering fails the job, so the queue retries it with backoff; a refused workflow is permanent.
      // Pictures rendered but not stored wait in the renderer's spool, so that retry does not render them again.
      try {
        const out = await deps.renderImages(prompt, { storyId: story.id, turnId: turn.id }, deps.signal);
        await record(out.calls);
        await deps.store.replaceTurnImages(turn.id, prompt, out.images);
        // Only once linked: a failed link retries from the kept copy, never from a new render.
        out.release?.();
      } catch (err) {
        const calls = (err as { calls?: LedgerCall[] }).calls;
        if (calls) await record(calls);
        throw err;
      }
      return;
    }
    default:
      throw new LunaError(`unknown job kind ${String(job.kind)}`);
  }
}

async function summarise(job: Job, story: Story, turnId: string, deps: DreamerDeps, call: (r: ReturnType<typeof arcSummaryRequest>) => Promise<string>): Promise<void> {
  const every = deps.config.agents.dreamer.arcEvery;
  const branch = await deps.store.getBranch(story.id, turnId, { limit: job.kind === 'story-summary' ? every * 5 : every });
  if (!branch.length) return;
  const arcs = await deps.store.listArcSummaries(story.id);
  const ids = new Set(await deps.store.getBranchIds(story.id, turnId));
  const first = branch[0]!;
  const previous = arcs.filter((a) => a.kind === job.kind.replace('-summary', '') && ids.has(a.toTurnId) && a.toDepth < first.depth).sort((a, b) => b.toDepth - a.toDepth)[0];
  const text = branch.map((t) => `[${t.depth}] > ${t.action}\n${t.prose.slice(0, 700)}`).join('\n');
  const summary = await call(arcSummaryRequest(story.premise, previous?.summary ?? null, text));
  if (!summary) return;
  await deps.store.addArcSummary({
    storyId: story.id,
    toTurnId: turnId,
    fromDepth: first.depth,
    toDepth: branch.at(-1)!.depth,
    kind: job.kind === 'story-summary' ? 'story' : 'arc',
    summary: summary.slice(0, 1500),
  });
}

async function updateSheets(story: Story, turnId: string, deps: DreamerDeps, call: (r: ReturnType<typeof entitySheetRequest>) => Promise<string>): Promise<void> {
  const [entities, facts, ids] = await Promise.all([deps.store.listEntities(story.id), deps.store.listFacts(story.id), deps.store.getBranchIds(story.id, turnId)]);
  const onBranch = new Set(ids);
  const touched = new Set(facts.filter((f) => f.turnId === turnId).map((f) => f.entityId));
  for (const e of entities) if (e.firstTurnId === turnId) touched.add(e.id);
  const views = currentFacts(facts, (f) => f.turnId === null || onBranch.has(f.turnId));
  for (const e of entities) {
    if (!touched.has(e.id)) continue;
    const list = (views.get(e.id) ?? []).map((f) => `- ${f.key}: ${f.value}${f.history[0] ? ` (was: ${f.history[0].value})` : ''}`).join('\n');
    const sheet = await call(entitySheetRequest(e.name, e.description, list || '(none)'));
    if (sheet) {
      await writeDreamerMemory(deps.store, story.id, null, [{ op: 'entity', name: e.name, kind: e.kind, description: sheet.slice(0, 500) }],
        { review: deps.config.agents.dreamer.review, origin: 'dreamer', sourceTurnId: turnId });
    }
  }
}
