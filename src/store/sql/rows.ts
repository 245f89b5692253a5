import type { LedgerRow } from '../contract/ledger.js';
import type { BurstInstance, Job } from '../contract/ops.js';
import type { Account, ApiKey, ArcSummary, Entity, EntityKind, Fact, FactOrigin, LoreEntry, MemoryChange, MemoryProposal, Story, Turn } from '../contract/records.js';
import type { SqlDialect } from './dialect.js';
import type { Row } from './executor.js';

/** snake_case rows → contract objects, once for both dialects; only JSON columns read back differently. */
const s = (v: unknown): string => v as string;
const sn = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));
const n = (v: unknown): number => Number(v);
const nn = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export type RowMappers = ReturnType<typeof rowMappers>;

export function rowMappers(d: Pick<SqlDialect, 'json'>) {
  const strings = (v: unknown): string[] => d.json<string[]>(v, []);
  return {
    toAccount: (r: Row): Account => ({ id: s(r.id), name: s(r.name), tier: s(r.tier), createdAt: s(r.created_at) }),

    toApiKey: (r: Row): ApiKey => ({
      id: s(r.id), accountId: s(r.account_id), label: s(r.label), prefix: s(r.prefix),
      createdAt: s(r.created_at), lastUsedAt: sn(r.last_used_at), revokedAt: sn(r.revoked_at),
    }),

    toStory: (r: Row): Story => ({
      id: s(r.id), accountId: s(r.account_id), title: s(r.title), premise: s(r.premise), style: s(r.style),
      headTurnId: sn(r.head_turn_id), authorNote: s(r.author_note ?? ''), createdAt: s(r.created_at), updatedAt: s(r.updated_at),
    }),

    toTurn: (r: Row): Turn => ({
      id: s(r.id), storyId: s(r.story_id), parentId: sn(r.parent_id), depth: n(r.depth), action: s(r.action), prose: s(r.prose),
      plan: r.plan === null || r.plan === undefined ? null : d.json<unknown>(r.plan, null),
      note: s(r.note ?? ''), ooc: s(r.ooc ?? ''), continued: Boolean(r.continued), editedAt: sn(r.edited_at), createdAt: s(r.created_at),
    }),

    toEntity: (r: Row): Entity => ({
      id: s(r.id), storyId: s(r.story_id), name: s(r.name), kind: s(r.kind) as EntityKind, aliases: strings(r.aliases),
      description: s(r.description), firstTurnId: sn(r.first_turn_id), createdAt: s(r.created_at), origin: s(r.origin ?? 'plan') as FactOrigin,
    }),

    toFact: (r: Row): Fact => ({
      id: s(r.id), entityId: s(r.entity_id), key: s(r.key), value: s(r.value), turnId: sn(r.turn_id), depth: n(r.depth), createdAt: s(r.created_at),
      origin: (sn(r.origin) ?? 'plan') as Fact['origin'], sourceTurnId: sn(r.source_turn_id), removed: Boolean(r.removed),
    }),

    toProposal: (r: Row): MemoryProposal => ({
      id: s(r.id), storyId: s(r.story_id), turnId: sn(r.turn_id), origin: s(r.origin) as MemoryProposal['origin'],
      change: d.json<MemoryChange>(r.change, { op: 'fact-rm', entity: '', key: '' }), state: s(r.state) as MemoryProposal['state'],
      createdAt: s(r.created_at), decidedAt: sn(r.decided_at),
    }),

    toLore: (r: Row): LoreEntry => ({
      id: s(r.id), storyId: s(r.story_id), title: s(r.title), keywords: strings(r.keywords), body: s(r.body), constant: Boolean(r.constant),
      secondaryKeys: strings(r.secondary_keys), logic: s(r.selective_logic) as LoreEntry['logic'], caseSensitive: Boolean(r.case_sensitive),
      wholeWords: Boolean(r.whole_words), order: n(r.sort_order), priority: n(r.priority), position: s(r.position) as LoreEntry['position'],
      probability: n(r.probability), excludeRecursion: Boolean(r.exclude_recursion), preventRecursion: Boolean(r.prevent_recursion),
      enabled: Boolean(r.enabled), comment: s(r.comment),
    }),

    toArc: (r: Row): ArcSummary => ({
      id: s(r.id), storyId: s(r.story_id), toTurnId: s(r.to_turn_id), fromDepth: n(r.from_depth), toDepth: n(r.to_depth),
      kind: s(r.kind) as ArcSummary['kind'], summary: s(r.summary), createdAt: s(r.created_at),
    }),

    toLedger: (r: Row): LedgerRow => ({
      id: s(r.id), accountId: s(r.account_id), storyId: sn(r.story_id), turnId: sn(r.turn_id), agent: s(r.agent) as LedgerRow['agent'],
      provider: s(r.provider), model: s(r.model), inputTokens: n(r.input_tokens), outputTokens: n(r.output_tokens),
      cachedTokens: n(r.cached_tokens), estimated: Boolean(r.estimated), latencyMs: n(r.latency_ms), ttftMs: nn(r.ttft_ms),
      outcome: s(r.outcome) as LedgerRow['outcome'], costUsd: nn(r.cost_usd), priceInPerMTok: nn(r.price_in_per_mtok),
      priceOutPerMTok: nn(r.price_out_per_mtok), instanceId: sn(r.instance_id), createdAt: s(r.created_at),
    }),

    toJob: (r: Row): Job => ({
      id: s(r.id), kind: s(r.kind) as Job['kind'], storyId: s(r.story_id), turnId: sn(r.turn_id),
      payload: d.json<Record<string, unknown>>(r.payload, {}), state: s(r.state) as Job['state'], attempts: n(r.attempts),
      maxAttempts: n(r.max_attempts), runAfter: s(r.run_after), lockedBy: sn(r.locked_by), lockedUntil: sn(r.locked_until),
      lastError: sn(r.last_error), createdAt: s(r.created_at), updatedAt: s(r.updated_at),
    }),

    toBurst: (r: Row): BurstInstance => ({
      id: s(r.id), name: s(r.name), deployment: s(r.deployment), provider: s(r.provider) as BurstInstance['provider'],
      providerInstanceId: sn(r.provider_instance_id), gpuType: s(r.gpu_type), gpuCount: n(r.gpu_count), pricePerHour: n(r.price_per_hour),
      state: s(r.state) as BurstInstance['state'], endpoint: sn(r.endpoint), apiKey: sn(r.api_key), serves: strings(r.serves),
      launchedAt: s(r.launched_at), readyAt: sn(r.ready_at), lastActiveAt: sn(r.last_active_at), terminatedAt: sn(r.terminated_at),
      billedUntil: sn(r.billed_until), lastError: sn(r.last_error),
    }),
  };
}
