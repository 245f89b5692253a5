import type { AgentName } from '../config/schema.js';
import { restartWarning } from '../cli/render-turn.js';
import type { CallCost, Stage, TurnEvent } from '../pipeline/events.js';

/**
 * The TUI's whole state, changed only by `reduce` over pipeline TurnEvents and UI actions. Pure, so the
 * rendering logic is unit-tested without a terminal and the pipeline stays the only source of truth.
 */

export interface ShownTurn {
  id: string;
  depth: number;
  action: string;
  prose: string;
  /** Warnings raised while the turn was played (a Writer restart, a soft budget limit), shown under its action. */
  notes?: string[];
}

export type Notice = { level: 'error' | 'warning' | 'info'; text: string; hint?: string };

export type ScrollItem = { kind: 'turn'; turn: ShownTurn } | { kind: 'notice'; id: number; notice: Notice };

export interface LiveTurn {
  action: string;
  prose: string;
  stage: Stage | null;
  mode: 'continue' | 'retry';
  /** A retry hides the turn it replaces until it lands (or comes back if the retake fails). */
  replaced: ShownTurn | null;
  /** This turn's warnings so far, shown under its action. */
  notes: string[];
}

export interface TurnFigures {
  latencyMs: number;
  ttftMs: number | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  unpricedCalls: number;
}

export type { EndpointStatus } from '../models/health.js';
import type { EndpointStatus } from '../models/health.js';

export interface Overlay {
  title: string;
  lines: string[];
  scroll: number;
  /** /image: the picture the app draws under the lines where the terminal can show one. */
  image?: OverlayImage;
}

export interface OverlayImage {
  path: string;
  mime: string;
  width: number | null;
  height: number | null;
  /** Fetched already (a picture in an S3 bucket); else read from `path` when drawn. */
  bytes?: Buffer;
}

export interface TuiState {
  story: { id: string; title: string; premise: string } | null;
  items: ScrollItem[];
  /** Turns on the branch older than the first loaded one (loaded on demand when scrolling up). */
  earlier: number;
  live: LiveTurn | null;
  /** Lines scrolled up from the bottom; 0 follows new prose. */
  scroll: number;
  models: Partial<Record<AgentName, string>>;
  endpoints: Record<string, EndpointStatus>;
  lastTurn: TurnFigures | null;
  session: { turns: number; costUsd: number; inputTokens: number; outputTokens: number; unpricedCalls: number };
  /** Spend per agent from the cost events seen in this session. */
  sessionByAgent: Record<string, { calls: number; costUsd: number; tokens: number }>;
  queueDepth: number | null;
  dreamerRunning: boolean;
  /** Budget/quota warning for the story's account (soft or hard limit reached), null when all is well. */
  budget: { level: 'soft' | 'hard'; message: string } | null;
  inPlay: { name: string; kind: string }[];
  arc: string | null;
  stageMs: Partial<Record<Stage, number>>;
  showSide: boolean;
  overlay: Overlay | null;
  /** Text put back into the input line (a cancelled or failed action). */
  restoreInput: { text: string; seq: number } | null;
  quitArmed: boolean;
  noticeSeq: number;
}

export type TuiAction =
  | { type: 'turn-event'; event: TurnEvent }
  /** Batched prose tokens (the controller coalesces prose-token events). */
  | { type: 'prose'; text: string }
  | { type: 'story-loaded'; story: { id: string; title: string; premise: string }; turns: ShownTurn[]; earlier: number; arc: string | null }
  | { type: 'earlier-loaded'; turns: ShownTurn[]; earlier: number }
  | { type: 'turn-starting'; action: string; mode: 'continue' | 'retry' }
  | { type: 'notice'; notice: Notice }
  | { type: 'scroll'; by: number; maxScroll: number }
  | { type: 'scroll-bottom' }
  | { type: 'endpoints'; status: Record<string, EndpointStatus> }
  | { type: 'queue'; depth: number | null; running?: boolean }
  | { type: 'budget'; budget: TuiState['budget'] }
  /** The ledger's spend on this story since the session began: Dreamer jobs and failed turns included. */
  | { type: 'session-spend'; costUsd: number; inputTokens: number; outputTokens: number; unpricedCalls: number }
  | { type: 'arc'; arc: string | null }
  | { type: 'in-play'; entities: { name: string; kind: string }[] }
  | { type: 'toggle-side' }
  | { type: 'overlay'; overlay: { title: string; lines: string[]; image?: OverlayImage } | null }
  | { type: 'overlay-scroll'; by: number; maxScroll: number }
  | { type: 'quit-arm'; armed: boolean };

export function initialState(opts: { models?: Partial<Record<AgentName, string>>; showSide?: boolean } = {}): TuiState {
  return {
    story: null,
    items: [],
    earlier: 0,
    live: null,
    scroll: 0,
    models: opts.models ?? {},
    endpoints: {},
    lastTurn: null,
    session: { turns: 0, costUsd: 0, inputTokens: 0, outputTokens: 0, unpricedCalls: 0 },
    sessionByAgent: {},
    queueDepth: null,
    dreamerRunning: false,
    budget: null,
    inPlay: [],
    arc: null,
    stageMs: {},
    showSide: opts.showSide ?? true,
    overlay: null,
    restoreInput: null,
    quitArmed: false,
    noticeSeq: 0,
  };
}

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

function addNotice(s: TuiState, notice: Notice): TuiState {
  const id = s.noticeSeq + 1;
  return { ...s, noticeSeq: id, items: [...s.items, { kind: 'notice', id, notice }] };
}

function addCost(s: TuiState, call: CallCost): TuiState {
  const prev = s.sessionByAgent[call.agent] ?? { calls: 0, costUsd: 0, tokens: 0 };
  return {
    ...s,
    sessionByAgent: { ...s.sessionByAgent, [call.agent]: { calls: prev.calls + 1, costUsd: prev.costUsd + (call.costUsd ?? 0), tokens: prev.tokens + call.inputTokens + call.outputTokens } },
    session: {
      ...s.session,
      costUsd: s.session.costUsd + (call.costUsd ?? 0),
      inputTokens: s.session.inputTokens + call.inputTokens,
      outputTokens: s.session.outputTokens + call.outputTokens,
      unpricedCalls: s.session.unpricedCalls + (call.costUsd === null ? 1 : 0),
    },
  };
}

function mergeInPlay(list: { name: string; kind: string }[], add: { name: string; kind: string }[]): { name: string; kind: string }[] {
  const out = [...list];
  for (const e of add) {
    const i = out.findIndex((x) => x.name.toLowerCase() === e.name.toLowerCase());
    if (i === -1) out.push(e);
    else if (out[i]!.kind === 'other' || out[i]!.kind === '') out[i] = e;
  }
  return out;
}

function onTurnEvent(s: TuiState, e: TurnEvent): TuiState {
  switch (e.type) {
    case 'turn-started':
      return s.live ? s : { ...s, live: { action: e.action, prose: '', stage: null, mode: 'continue', replaced: null, notes: [] } };
    case 'stage-started':
      return s.live ? { ...s, live: { ...s.live, stage: e.stage } } : s;
    case 'stage-finished':
      return { ...s, stageMs: { ...s.stageMs, [e.stage]: e.ms } };
    case 'context-ready':
      // Keep kinds already known (entity-update carries them); new names arrive as "other" until then.
      return { ...s, inPlay: mergeInPlay([], e.context.entitiesInPlay.map((name) => s.inPlay.find((x) => x.name === name) ?? { name, kind: 'other' })) };
    case 'plan-ready':
      return { ...s, inPlay: mergeInPlay(s.inPlay, e.plan.entities.map((x) => ({ name: x.name, kind: x.kind ?? 'other' }))) };
    case 'prose-token':
      return s.live ? { ...s, live: { ...s.live, prose: s.live.prose + e.text } } : s;
    case 'prose-restart':
      if (!s.live) return addNotice(s, { level: 'warning', text: restartWarning(e.reason) });
      return { ...s, live: { ...s.live, prose: '', notes: [...s.live.notes, restartWarning(e.reason)] } };
    case 'entity-update':
      return { ...s, inPlay: mergeInPlay(s.inPlay.map((x) => (x.name.toLowerCase() === e.update.name.toLowerCase() ? { name: x.name, kind: e.update.kind } : x)), [{ name: e.update.name, kind: e.update.kind }]) };
    case 'cost':
      return addCost(s, e.call);
    case 'warning':
      // A warning belongs to the turn being played: it shows under that turn's action, not above it.
      if (s.live) return { ...s, live: { ...s.live, notes: [...s.live.notes, e.message] } };
      return addNotice(s, { level: 'warning', text: e.message });
    case 'done': {
      const t = e.totals;
      const notes = s.live?.notes.length ? { notes: s.live.notes } : {};
      const turn: ShownTurn = { id: e.turn.id, depth: e.turn.depth, action: e.turn.action, prose: e.prose, ...notes };
      return {
        ...s,
        live: null,
        items: [...s.items, { kind: 'turn', turn }],
        stageMs: { ...t.stages },
        lastTurn: { latencyMs: t.latencyMs, ttftMs: t.ttftMs, inputTokens: t.inputTokens, outputTokens: t.outputTokens, costUsd: t.costUsd, unpricedCalls: t.unpricedCalls },
        session: { ...s.session, turns: s.session.turns + 1 },
        queueDepth: s.queueDepth === null ? e.jobsQueued : s.queueDepth + e.jobsQueued,
        restoreInput: null,
      };
    }
    case 'error': {
      const replaced = s.live?.replaced;
      let back: TuiState = { ...s, live: null, items: replaced ? [...s.items, { kind: 'turn', turn: replaced }] : s.items };
      // The failed turn leaves the screen; its warnings stay, before the error that ended it.
      for (const text of s.live?.notes ?? []) back = addNotice(back, { level: 'warning', text });
      // A failed retake gives back `/retry`, not its action: Enter on the action alone would play it again as a
      // new turn after the one being retaken, a duplicate.
      const retry = s.live?.mode === 'retry';
      const restored = { ...back, restoreInput: { text: retry ? '/retry' : e.action, seq: (s.restoreInput?.seq ?? 0) + 1 } };
      if (e.cancelled) return addNotice(restored, { level: 'info', text: `turn cancelled; the story is unchanged (${retry ? '/retry is' : 'your action is'} back in the input)` });
      return addNotice(restored, { level: 'error', text: e.message, hint: e.hint });
    }
  }
}

export function reduce(s: TuiState, a: TuiAction): TuiState {
  switch (a.type) {
    case 'turn-event':
      return onTurnEvent(s, a.event);
    case 'prose':
      return s.live ? { ...s, live: { ...s.live, prose: s.live.prose + a.text } } : s;
    case 'story-loaded':
      return { ...s, story: a.story, items: a.turns.map((turn) => ({ kind: 'turn', turn })), earlier: a.earlier, arc: a.arc, scroll: 0, live: null };
    case 'earlier-loaded':
      return { ...s, items: [...a.turns.map((turn): ScrollItem => ({ kind: 'turn', turn })), ...s.items], earlier: a.earlier };
    case 'turn-starting': {
      if (a.mode !== 'retry') return { ...s, live: { action: a.action, prose: '', stage: null, mode: a.mode, replaced: null, notes: [] }, scroll: 0, quitArmed: false };
      const idx = s.items.map((i) => i.kind).lastIndexOf('turn');
      const last = idx >= 0 ? (s.items[idx] as { kind: 'turn'; turn: ShownTurn }).turn : null;
      const items = idx >= 0 ? s.items.filter((_, i) => i !== idx) : s.items;
      return { ...s, items, live: { action: a.action, prose: '', stage: null, mode: 'retry', replaced: last, notes: [] }, scroll: 0, quitArmed: false };
    }
    case 'notice':
      return addNotice(s, a.notice);
    case 'scroll':
      return { ...s, scroll: clamp(s.scroll + a.by, 0, Math.max(0, a.maxScroll)) };
    case 'scroll-bottom':
      return { ...s, scroll: 0 };
    case 'endpoints':
      return { ...s, endpoints: a.status };
    case 'queue':
      return { ...s, queueDepth: a.depth, dreamerRunning: a.running ?? s.dreamerRunning };
    case 'budget':
      return { ...s, budget: a.budget };
    case 'session-spend':
      return { ...s, session: { ...s.session, costUsd: a.costUsd, inputTokens: a.inputTokens, outputTokens: a.outputTokens, unpricedCalls: a.unpricedCalls } };
    case 'arc':
      return { ...s, arc: a.arc };
    case 'in-play':
      return { ...s, inPlay: a.entities };
    case 'toggle-side':
      return { ...s, showSide: !s.showSide };
    case 'overlay':
      return { ...s, overlay: a.overlay ? { ...a.overlay, scroll: 0 } : null };
    case 'overlay-scroll':
      return s.overlay ? { ...s, overlay: { ...s.overlay, scroll: clamp(s.overlay.scroll + a.by, 0, Math.max(0, a.maxScroll)) } } : s;
    case 'quit-arm':
      return { ...s, quitArmed: a.armed };
  }
}
