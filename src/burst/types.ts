/**
 * One interface over RunPod, Vast.ai and Lambda Cloud. Adapters speak each provider's real HTTP API;
 * everything above them (manager, autoscaler, commands) is provider-agnostic.
 */

export type ProviderName = 'runpod' | 'vast' | 'lambda';
export const PROVIDERS: readonly ProviderName[] = ['runpod', 'vast', 'lambda'];

export interface Offer {
  provider: ProviderName;
  /** What to pass back to launch: Lambda `type@region`, Vast ask id, RunPod GPU type id. */
  offerId: string;
  /** Provider's GPU/instance type name as users write it in `--gpu`. */
  gpuType: string;
  /** Human-readable GPU description. */
  gpuName: string;
  gpuCount: number;
  /** USD per hour for the whole instance. */
  pricePerHour: number;
  region: string | null;
  /** Interruptible (spot/bid) capacity: cheaper, but the provider may take it back at any time. */
  interruptible?: boolean;
}

export interface LaunchSpec {
  /** `luna-<deployment>-<id>`: the provider-side name/label that lets reconcile find it again. */
  name: string;
  offer: Offer;
  image: string;
  /** Hugging Face model id the image serves (`vllm serve <model>`, positional; also its served model name). */
  model: string;
  /** Per-instance key the server requires (vLLM reads VLLM_API_KEY, same as `--api-key`). */
  apiKey: string;
  port: number;
  diskGb: number;
  /** Hugging Face token for gated models (HF_TOKEN in the instance). Sent to the provider only; never logged. */
  hfToken: string | null;
}

export type ProviderStatus = 'pending' | 'running' | 'stopped' | 'terminated' | 'unknown';

export interface ProviderInstance {
  providerInstanceId: string;
  name: string;
  status: ProviderStatus;
  /** OpenAI-compatible base URL (ending /v1) once the provider has an address for it. */
  endpoint: string | null;
  pricePerHour: number | null;
  gpuType: string | null;
  /** The provider's own words on where the instance is ("Pulling image", a container's exit message), if any. */
  detail: string | null;
}

export interface OfferQuery {
  gpuType?: string;
  gpuCount: number;
  maxPricePerHour?: number;
  /** Container disk the instance needs (GB); offers with less are skipped where the provider says. */
  diskGb?: number;
  /** Also list interruptible offers (RunPod spot pods, Vast bids) beside on-demand ones. */
  spot?: boolean;
}

export interface BurstProvider {
  readonly name: ProviderName;
  listOffers(q: OfferQuery, signal?: AbortSignal): Promise<Offer[]>;
  /** Returns the provider's id. Throws BurstError with `maybeCreated` when the outcome is unknown (5xx, timeout). */
  launch(spec: LaunchSpec, signal?: AbortSignal): Promise<{ providerInstanceId: string; endpoint: string | null }>;
  /** Every instance on the account (the caller filters by LUNA's name prefix). */
  list(signal?: AbortSignal): Promise<ProviderInstance[]>;
  /** Idempotent: terminating an instance that is already gone succeeds. */
  terminate(providerInstanceId: string, signal?: AbortSignal): Promise<void>;
  /** How LUNA reaches an instance's server on this provider (for `luna burst plan`); `ok: false` when a launch would be refused. */
  access(): { ok: boolean; how: string };
}
