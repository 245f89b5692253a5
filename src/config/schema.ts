import { z } from 'zod';
import { burstSchema, costSchema, serveSchema, serverUrl, telemetrySchema, topSchema } from './schema-ops.js';

export { burstProviderSchema, burstSchema, costSchema, serveSchema, telemetrySchema, topSchema } from './schema-ops.js';
export type { BurstConfig, CostConfig, ServeConfig, ShardConfig, TelemetryConfig, TopConfig } from './schema-ops.js';

/**
 * The one schema for luna.yaml: models, agents, context and the whole (configSchema); the operations sections
 * (serve, burst, cost, top, telemetry) are in schema-ops.ts. Every key is documented in configs/luna.example.yaml.
 */

const price = z.strictObject({
  inputPerMTok: z.number().nonnegative(),
  outputPerMTok: z.number().nonnegative(),
  cachedInputPerMTok: z.number().nonnegative().optional(),
});

const modelBase = {
  /** Per-model price override (USD per million tokens); otherwise configs/pricing.yaml is consulted by model id. */
  price: price.optional(),
  timeoutMs: z.number().int().positive().default(120_000),
  maxRetries: z.number().int().min(0).max(10).default(2),
  /** Max tokens a single request may generate unless the agent says otherwise. */
  maxTokens: z.number().int().positive().optional(),
  /**
   * The model's context window in tokens (prompt and reply). Unset: discovered from the server (llama.cpp and
   * vLLM report it) or the GGUF; prompts are trimmed to fit it.
   */
  contextTokens: z.number().int().min(256).optional(),
};

export const localModelSchema = z.strictObject({
  provider: z.literal('local'),
  /** GGUF path; relative paths resolve against the config file's folder. `~` expands to the home dir. */
  path: z.string().min(1),
  /** CPU threads for inference. Always explicit: node-llama-cpp's default oversubscribes small machines. */
  threads: z.number().int().min(1).max(256).default(1),
  contextSize: z.number().int().min(128).default(2048),
  gpu: z.union([z.literal(false), z.literal('auto'), z.enum(['cuda', 'vulkan', 'metal'])]).default(false),
  /** Wrap prompts in the model's chat template; off for base models such as TinyStories. */
  chat: z.boolean().default(false),
  ...modelBase,
});

export const openaiModelSchema = z.strictObject({
  provider: z.literal('openai-compatible'),
  model: z.string().min(1),
  baseUrl: serverUrl.default('https://api.openai.com/v1'),
  /** Name of the env var holding the key (never put the key itself in a shared file). */
  apiKeyEnv: z.string().default('OPENAI_API_KEY'),
  apiKey: z.string().optional(),
  /** Ask the server for schema-constrained JSON (response_format json_schema). */
  jsonSchema: z.boolean().default(true),
  /**
   * OpenAI reasoning-model rules (max_completion_tokens, no stop, no temperature). Unset: on for o1/o3/o4/gpt-5
   * model ids; set true for a deployment name that hides the model (Azure, proxies).
   */
  reasoningModel: z.boolean().optional(),
  /** reasoning_effort: OpenAI reasoning models, and Gemini's thinking budget (none = off; 2.5 Pro gets low). */
  reasoningEffort: z.enum(['none', 'minimal', 'low', 'medium', 'high']).optional(),
  ...modelBase,
});

export const anthropicModelSchema = z.strictObject({
  provider: z.literal('anthropic'),
  model: z.string().min(1),
  baseUrl: serverUrl.optional(),
  apiKeyEnv: z.string().default('ANTHROPIC_API_KEY'),
  apiKey: z.string().optional(),
  ...modelBase,
});

export const modelSchema = z.discriminatedUnion('provider', [localModelSchema, openaiModelSchema, anthropicModelSchema]);

const agentBase = {
  model: z.string().min(1),
  /** Tried in order when the primary model fails after its retries. */
  fallbacks: z.array(z.string()).default([]),
  maxTokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
};

/** S3 bucket names: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit. */
const S3_URL = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[A-Za-z0-9!_.*'()\/-]*)?$/;

export const imagesStoreSchema = z.strictObject({
  /** s3://BUCKET or s3://BUCKET/PREFIX: objects are <prefix>/<story>/<turn>-<n>.<ext>. */
  url: z.string().regex(S3_URL, 'expected s3://BUCKET or s3://BUCKET/PREFIX (a bucket name in lowercase letters, digits, dots and hyphens)'),
  /** An S3-compatible endpoint (MinIO, Cloudflare R2, Ceph RGW…); unset: AWS S3 (or AWS_ENDPOINT_URL_S3). */
  endpoint: z.string().refine((u) => /^https?:\/\/[^\s/]/i.test(u) && URL.canParse(u) && !new URL(u).username && !new URL(u).password, 'expected an http:// or https:// URL without credentials').optional(),
  /** Unset: AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1 (what MinIO and R2 accept). */
  region: z.string().min(1).optional(),
  /** Address the bucket as ENDPOINT/BUCKET/KEY instead of BUCKET.ENDPOINT/KEY; default true with an endpoint (MinIO, Ceph need it). */
  forcePathStyle: z.boolean().optional(),
});
export type ImagesStoreConfig = z.infer<typeof imagesStoreSchema>;

export const agentsSchema = z.strictObject({
  preprocessor: z.strictObject({
    ...agentBase,
    /** A model used only for embeddings (vector retrieval). Unset: BM25 only. */
    embeddingModel: z.string().optional(),
  }),
  strategist: z.strictObject({ ...agentBase }),
  writer: z.strictObject({ ...agentBase }),
  dreamer: z.strictObject({
    ...agentBase,
    /** Write an arc summary every N turns on a branch. */
    arcEvery: z.number().int().min(2).default(10),
    /** Run queued Dreamer jobs in-process after each turn (off when separate `luna dream` workers run). */
    inProcess: z.boolean().default(true),
    imagePrompts: z.boolean().default(true),
    /** Queue the entity/fact changes the pipeline and the Dreamer would write for the player (`luna memory review`). */
    review: z.boolean().default(false),
    /** Read each turn's prose for entity facts, relations and aliases (schema-constrained JSON), kept with their source turn. */
    extractFacts: z.boolean().default(true),
    /** Submit each image prompt to a ComfyUI server (its /prompt API) with your API-format workflow. */
    comfyui: z
      .strictObject({
        url: serverUrl,
        /** Workflow exported with "Save (API Format)"; relative to the config file. */
        workflow: z.string().min(1),
        /** Text in the workflow replaced by the prompt (e.g. in the positive CLIPTextEncode node). */
        placeholder: z.string().min(1).default('{{prompt}}'),
        /** Each HTTP request to ComfyUI (submit, history, one image download). */
        timeoutMs: z.number().int().positive().default(15_000),
        /** A whole run, from submission to the last image: a server that never finishes fails the attempt after this. */
        runTimeoutMs: z.number().int().positive().default(600_000),
        /** Extra attempts after a transient failure (unreachable, 5xx, timeout), with exponential backoff from retryBackoffMs. */
        retries: z.number().int().min(0).max(10).default(2),
        retryBackoffMs: z.number().int().min(0).default(1000),
        /** How to learn that a run finished: the /ws websocket (auto: when this Node has one), or polling /history. */
        transport: z.enum(['auto', 'websocket', 'poll']).default('auto'),
        pollMs: z.number().int().positive().default(1000),
        /** Where images are written (<imagesDir>/<story>/<turn>-<n>.png); default <home>/images. In production, a directory every worker and API shares (NFS), or imagesStore. */
        imagesDir: z.string().min(1).optional(),
        /** Images in an S3-compatible bucket instead of imagesDir (docs/images.md); credentials come only from the AWS chain (env, profile, role). */
        imagesStore: imagesStoreSchema.optional(),
        /** What an hour of the ComfyUI GPU costs; unset: cost.selfHosted's GPU hour (0 when none is configured). */
        gpuHourUsd: z.number().nonnegative().optional(),
      })
      .superRefine((c, ctx) => {
        // Two places to write would leave readers guessing which one a new picture went to.
        if (c.imagesDir !== undefined && c.imagesStore !== undefined) ctx.addIssue({ code: 'custom', path: ['imagesDir'], input: c.imagesDir, message: 'expected imagesDir or imagesStore, not both' });
      })
      .optional(),
  }),
});

export const contextSchema = z.strictObject({
  /** Token budget for the curated context handed to the Strategist and Writer. */
  budgetTokens: z.number().int().min(200).default(3000),
  /** The Strategist (often a paid cloud model) gets the top of the same context packed into this smaller budget. */
  strategistBudgetTokens: z.number().int().min(100).default(1000),
  /** Longest player action, in characters: the action goes whole to every paid and local model of the turn. */
  maxActionChars: z.number().int().min(100).max(100_000).default(4000),
  recentTurns: z.number().int().min(0).default(3),
  relevantTurns: z.number().int().min(0).default(6),
  maxEntities: z.number().int().min(0).default(12),
  maxLore: z.number().int().min(0).default(8),
  /** Rounds of lore entries triggering other entries through their text (0 = off); bounded so a loop of entries ends. */
  loreRecursion: z.number().int().min(0).max(10).default(3),
  /**
   * Where the Author's Note sits among the most recent turns (docs/play.md): 1 = just before the player's
   * action, 2 = before the latest turn, n = before the (n-1)th latest turn; deeper than the recent turns
   * shown puts it before the oldest of them.
   */
  authorNoteDepth: z.number().int().min(1).max(50).default(1),
});

export const configSchema = z.strictObject({
  database: z.strictObject({
    /** `sqlite:PATH`, a file path, or `postgres://…`. Default: `<home>/luna.db`. */
    url: z.string().optional(),
    poolSize: z.number().int().min(1).max(200).default(10),
  }).prefault({}),
  /** `store` (the database's own job table) or `redis://…` (BullMQ). */
  queue: z.string().default('store'),
  models: z.record(z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash, underscore'), modelSchema).default({}),
  agents: agentsSchema,
  context: contextSchema.prefault({}),
  serve: serveSchema.prefault({}),
  burst: burstSchema.prefault({}),
  cost: costSchema.prefault({}),
  top: topSchema.prefault({}),
  telemetry: telemetrySchema.prefault({}),
  demo: z.strictObject({
    file: z.string().default('stories260K.gguf'),
    sha256: z.string().regex(/^[a-f0-9]{64}$/).default('270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d'),
    /** Tried in order; `$LUNA_MODELS_MIRROR` (a base URL or file:// folder) is tried first when set. */
    urls: z.array(z.string()).default(['https://huggingface.co/ggml-org/models/resolve/main/tinyllamas/stories260K.gguf']),
  }).prefault({}),
});

export type LunaConfig = z.infer<typeof configSchema>;
export type ModelConfig = z.infer<typeof modelSchema>;
export type LocalModelConfig = z.infer<typeof localModelSchema>;
export type OpenAIModelConfig = z.infer<typeof openaiModelSchema>;
export type AnthropicModelConfig = z.infer<typeof anthropicModelSchema>;
export type AgentName = keyof z.infer<typeof agentsSchema>;
export type ContextConfig = z.infer<typeof contextSchema>;
export const AGENTS: readonly AgentName[] = ['preprocessor', 'strategist', 'writer', 'dreamer'];
