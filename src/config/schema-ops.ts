import { z } from 'zod';

/**
 * The operations half of luna.yaml's one schema (src/config/schema.ts composes it): serving shards, burst GPUs,
 * cost budgets, the operator console and tracing. Every key is documented in configs/luna.example.yaml.
 */

/**
 * A server's URL with no user:password in it: the SDKs refuse such URLs at request time (after the config
 * loaded), and every status line that names the server would print the password. Keys go in apiKeyEnv.
 */
export const serverUrl = z.string().url().refine((u) => {
  const url = new URL(u);
  return !url.username && !url.password;
}, 'expected a URL without user:password (credentials never go in a URL; a model takes its key from apiKeyEnv)');

export const shardSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
  engine: z.enum(['vllm', 'llamacpp', 'local']),
  model: z.string().min(1),
  /** Model names from `models:` that this shard serves (its endpoint becomes theirs). */
  serves: z.array(z.string()).default([]),
  gpus: z.union([z.number().int().min(0), z.array(z.union([z.number().int().min(0), z.string()]))]).default(0),
  /** GPU memory the shard needs per GPU, in MiB (for placement by free memory). */
  memoryMiB: z.number().int().min(0).default(0),
  tensorParallel: z.number().int().min(1).optional(),
  contextLength: z.number().int().positive().optional(),
  parallel: z.number().int().positive().default(4),
  port: z.union([z.number().int().min(1).max(65535), z.literal('auto')]).default('auto'),
  gpuMemoryUtilization: z.number().min(0.05).max(1).default(0.9),
  threads: z.number().int().min(1).default(1),
  extraArgs: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
});

export const serveSchema = z.strictObject({
  binaries: z.strictObject({
    vllm: z.string().default('vllm'),
    llamacpp: z.string().default('llama-server'),
    nvidiaSmi: z.string().default('nvidia-smi'),
  }).prefault({}),
  healthIntervalMs: z.number().int().positive().default(5000),
  healthTimeoutMs: z.number().int().positive().default(3000),
  readyTimeoutMs: z.number().int().positive().default(600_000),
  stopGraceMs: z.number().int().positive().default(10_000),
  maxRestarts: z.number().int().min(0).default(5),
  restartWindowMs: z.number().int().positive().default(600_000),
  metricsPort: z.number().int().min(0).max(65535).default(9464),
  /** Consecutive failed health checks after which a running shard counts as hung and is restarted. */
  unhealthyAfter: z.number().int().min(1).default(3),
  /** First restart delay; doubles per crash in the window, capped at restartBackoffMaxMs. */
  restartBackoffMs: z.number().int().min(0).default(1000),
  restartBackoffMaxMs: z.number().int().min(0).default(60_000),
  /** Per-shard log file size before rotation, and how many rotated files to keep. */
  logMaxBytes: z.number().int().min(1024).default(10 * 1024 * 1024),
  logKeep: z.number().int().min(0).max(20).default(3),
  /** Routing skips a shard whose waiting queue is at least this deep while a less loaded shard serves the model. 0 = off. */
  degradeQueueDepth: z.number().int().min(0).default(0),
  shards: z.array(shardSchema).default([]),
});

export const burstProviderSchema = z.strictObject({
  apiKeyEnv: z.string().optional(),
  apiKey: z.string().optional(),
  baseUrl: serverUrl.optional(),
  /** Lambda: the account SSH key to install (Lambda's launch call requires exactly one). */
  sshKeyName: z.string().optional(),
  /** Lambda: preferred region; unset = the cheapest region with capacity. */
  region: z.string().optional(),
  /**
   * Lambda: IPv4 CIDRs allowed to reach the instances' server port. Lambda lets in only SSH and ICMP by default,
   * so LUNA adds a rule for burst.port from these through the account's firewall rules before launching.
   */
  allowedSources: z.array(z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/, 'an IPv4 CIDR such as 203.0.113.7/32')).min(1).optional(),
  /** RunPod: public URL of a pod's port; `{podId}` and `{port}` are filled in. */
  proxyUrl: z.string().optional(),
  /** Vast.ai: lowest host reliability (reliability2, 0..1) an offer may have; dstack's default is 0.9. */
  minReliability: z.number().min(0).max(1).optional(),
});

export const burstSchema = z.strictObject({
  deployment: z.string().regex(/^[a-z0-9-]+$/).default('default'),
  provider: z.enum(['runpod', 'vast', 'lambda']).optional(),
  providers: z.strictObject({
    runpod: burstProviderSchema.optional(),
    vast: burstProviderSchema.optional(),
    lambda: burstProviderSchema.optional(),
  }).prefault({}),
  image: z.string().default('vllm/vllm-openai:latest'),
  model: z.string().optional(),
  serves: z.array(z.string()).default([]),
  gpuType: z.string().optional(),
  gpuCount: z.number().int().min(1).default(1),
  minInstances: z.number().int().min(0).default(0),
  maxInstances: z.number().int().min(0).default(2),
  maxPricePerHour: z.number().positive().optional(),
  maxHourlySpend: z.number().positive().optional(),
  monthlyBudgetUsd: z.number().positive().optional(),
  scaleUpQueueDepth: z.number().int().min(1).default(8),
  scaleUpWindowMs: z.number().int().positive().default(60_000),
  idleTtlMs: z.number().int().positive().default(900_000),
  maxLifetimeMs: z.number().int().positive().default(43_200_000),
  cooldownMs: z.number().int().min(0).default(300_000),
  /** Prometheus text endpoint of `luna serve`; the autoscaler sums `luna_shard_requests_waiting` from it. */
  metricsUrl: z.string().url().default('http://127.0.0.1:9464/metrics'),
  /** How often `luna burst watch` reconciles and decides. */
  intervalMs: z.number().int().positive().default(15_000),
  /** How long a leaving instance may finish in-flight requests before it is terminated anyway. */
  drainTimeoutMs: z.number().int().min(0).default(120_000),
  /** A launched instance whose /health never answers within this is terminated as failed. */
  readyTimeoutMs: z.number().int().positive().default(1_800_000),
  /** Port the image serves on inside the instance. */
  port: z.number().int().min(1).max(65535).default(8000),
  /** Container disk per instance: the vLLM image (~10 GB unpacked) plus the model's weights, with room to spare. */
  diskGb: z.number().int().min(10).default(80),
  /**
   * Prefer interruptible capacity (RunPod spot pods, Vast.ai bids; Lambda has none) and fall back to on-demand
   * when none is to be had. An interrupted instance is terminated and, if it was serving, replaced at once.
   */
  spot: z.boolean().default(false),
  /**
   * Lowest CUDA version the host's driver must support for the image (vllm/vllm-openai is built on CUDA 12.8+):
   * Vast offers are filtered on cuda_max_good, RunPod deploys get minCudaVersion.
   */
  minCudaVersion: z.string().regex(/^\d+\.\d+$/, 'a CUDA version such as 12.8').default('12.8'),
  /** Env var holding a Hugging Face token, passed to instances as HF_TOKEN (gated models need it). Never logged. */
  hfTokenEnv: z.string().default('HF_TOKEN'),
  /** The token itself (prefer hfTokenEnv: a shared file should not hold it). */
  hfToken: z.string().optional(),
});

const budgetSchema = z.strictObject({
  period: z.enum(['day', 'month']).default('month'),
  softUsd: z.number().nonnegative().optional(),
  hardUsd: z.number().nonnegative().optional(),
}).superRefine((b, ctx) => {
  // A soft limit above the hard one could never warn: the turn is refused first.
  if (b.softUsd !== undefined && b.hardUsd !== undefined && b.softUsd > b.hardUsd) {
    ctx.addIssue({ code: 'custom', path: ['softUsd'], input: b.softUsd, message: `expected at most hardUsd (${b.hardUsd})` });
  }
});

export const costSchema = z.strictObject({
  /** Extra pricing file merged over configs/pricing.yaml. */
  pricingFile: z.string().optional(),
  selfHosted: z.strictObject({
    /** What an hour of a self-hosted GPU costs you (amortised hardware, rent, or power if not given below). 0 = free. */
    gpuHourUsd: z.number().nonnegative().default(0),
    /** Electricity, added to gpuHourUsd: the GPU's draw under load (watts) times the price of a kWh. */
    gpuWatts: z.number().nonnegative().default(0),
    electricityUsdPerKwh: z.number().nonnegative().default(0),
    /** Tokens a shard produces per GPU-hour, to spread gpuHourUsd over calls. */
    tokensPerGpuHour: z.number().positive().default(3_000_000),
  }).prefault({}),
  budgets: z.strictObject({
    global: budgetSchema.optional(),
    accounts: z.record(z.string(), budgetSchema).default({}),
  }).prefault({}),
  tiers: z.record(z.string(), z.strictObject({
    turnsPerMonth: z.number().int().nonnegative().nullable(),
    priceUsdPerMonth: z.number().nonnegative().default(0),
    /** When `luna api` turns wait for a free slot, higher priorities go first (FIFO within one). */
    priority: z.number().int().min(0).max(100).default(0),
    /**
     * Graceful degradation: once `whenQueued` turns are waiting for a slot, this tier's turns run at once on
     * these (faster, smaller) models instead of waiting. The ledger records the model that answered.
     */
    degrade: z.strictObject({
      whenQueued: z.number().int().min(1).default(1),
      models: z.strictObject({ strategist: z.string().optional(), writer: z.string().optional() }),
    }).optional(),
  })).default({}),
});

export const topSchema = z.strictObject({
  /** Base URLs of the `luna api` processes to watch (their /metrics is read); empty: the Service pane says so. */
  apis: z.array(z.string().url()).default([]),
  /** Screen refresh and HTTP scrape interval (`--interval` overrides). */
  intervalMs: z.number().int().min(200).default(1000),
  /** The ledger and job table are read at most this often: a month's ledger sum per second costs real CPU. */
  storeIntervalMs: z.number().int().min(200).default(5000),
  /** Per-source HTTP timeout; a source slower than this is unreachable for that refresh. */
  timeoutMs: z.number().int().min(100).default(800),
  /** Sparkline span: points kept per series (one per refresh). */
  historyPoints: z.number().int().min(10).max(3600).default(120),
  /** Latency quantiles and error rate are computed over this trailing window. */
  windowMs: z.number().int().min(1000).default(60_000),
  alerts: z.strictObject({
    gpuTempC: z.number().positive().default(85),
    /** Share of finished API turns that failed over `windowMs` (0..1), once at least minTurns finished. */
    errorRate: z.number().min(0).max(1).default(0.05),
    minTurns: z.number().int().min(1).default(5),
    /** This many restarts of one shard within restartWindowMs is a restart loop. */
    restartLoop: z.number().int().min(1).default(3),
    restartWindowMs: z.number().int().positive().default(600_000),
    /** A burst instance not ready this long after launch. */
    burstReadyMs: z.number().int().positive().default(600_000),
  }).prefault({}),
});

// One check, one message: a string URL check and a protocol check both failed on "not-a-url" (the path was named twice).
const httpUrl = z.string().refine((u) => /^https?:\/\/[^\s/]/i.test(u) && URL.canParse(u), 'expected an http:// or https:// URL');

/** OpenTelemetry tracing of turns (src/telemetry); off unless an endpoint is set here or in OTEL_EXPORTER_OTLP_ENDPOINT. */
export const telemetrySchema = z.strictObject({
  otlp: z.strictObject({
    /** OTLP/HTTP base URL (e.g. http://127.0.0.1:4318); /v1/traces is appended unless the path already ends so. */
    endpoint: httpUrl.optional(),
    /** Sent with every export (e.g. an API key header of a hosted backend). */
    headers: z.record(z.string(), z.string()).default({}),
    /** Each export gives up after this long; `luna turn` waits at most this long for its spans at exit. */
    timeoutMs: z.number().int().min(50).max(60_000).default(1000),
  }).prefault({}),
  /** service.name of every span; default OTEL_SERVICE_NAME, else "luna". */
  serviceName: z.string().min(1).optional(),
});

export type ShardConfig = z.infer<typeof shardSchema>;
export type ServeConfig = z.infer<typeof serveSchema>;
export type BurstConfig = z.infer<typeof burstSchema>;
export type CostConfig = z.infer<typeof costSchema>;
export type TopConfig = z.infer<typeof topSchema>;
export type TelemetryConfig = z.infer<typeof telemetrySchema>;
