import { AuthError } from '../../errors.js';
import { HttpClient, ProviderError, shorten } from '../http.js';
import type { BurstProvider, LaunchSpec, Offer, OfferQuery, ProviderInstance, ProviderStatus } from '../types.js';
import { matchesGpu } from './match.js';
import { instanceEnv, vllmArgs } from './serve-args.js';

/**
 * RunPod GraphQL API (https://docs.runpod.io/sdks/graphql/manage-pods, spec at https://graphql-spec.runpod.io/).
 * Chosen over REST v1, which RunPod has announced for retirement. GraphQL reports most failures as
 * HTTP 200 with an `errors` array, so every reply is checked for it.
 */
export interface RunPodOptions {
  http: HttpClient;
  /** Public URL of a pod port; default RunPod's HTTP proxy. */
  proxyUrl?: string;
  port?: number;
  /** Lowest CUDA version the host driver must support (deploy input minCudaVersion). */
  minCudaVersion?: string;
}

interface GqlReply<T> {
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: { code?: string } }[];
}

interface RunPodPod {
  id: string;
  name: string;
  desiredStatus: string;
  costPerHr?: number | null;
  gpuCount?: number | null;
  machine?: { gpuDisplayName?: string | null } | null;
  runtime?: { uptimeInSeconds?: number | null } | null;
}

const GPU_TYPES = (count: number) =>
  `query GpuTypes { gpuTypes { id displayName memoryInGb securePrice communityPrice lowestPrice(input: { gpuCount: ${count} }) { uninterruptablePrice minimumBidPrice } } }`;
/** Spot pods: same input plus bidPerGpu (dstack's runpod api_client uses podRentInterruptable for spot). */
const RENT = `mutation Rent($input: PodRentInterruptableInput!) { podRentInterruptable(input: $input) { id name desiredStatus costPerHr imageName machineId } }`;
const DEPLOY = `mutation Deploy($input: PodFindAndDeployOnDemandInput) { podFindAndDeployOnDemand(input: $input) { id name desiredStatus costPerHr imageName machineId } }`;
const PODS = `query Pods { myself { pods { id name desiredStatus costPerHr gpuCount machine { gpuDisplayName } runtime { uptimeInSeconds ports { ip isIpPublic privatePort publicPort type } } } } }`;
const TERMINATE = `mutation Terminate($input: PodTerminateInput!) { podTerminate(input: $input) }`;

export const RUNPOD_PROXY_URL = 'https://{podId}-{port}.proxy.runpod.net';

export class RunPodProvider implements BurstProvider {
  readonly name = 'runpod' as const;
  constructor(private readonly opts: RunPodOptions) {}

  private get port(): number {
    return this.opts.port ?? 8000;
  }

  endpointFor(podId: string): string {
    return `${(this.opts.proxyUrl ?? RUNPOD_PROXY_URL).replaceAll('{podId}', podId).replaceAll('{port}', String(this.port)).replace(/\/+$/, '')}/v1`;
  }

  access(): { ok: boolean; how: string } {
    return { ok: true, how: `through RunPod's HTTPS proxy (${this.endpointFor('{podId}')}), guarded by the instance's API key` };
  }

  async listOffers(q: OfferQuery, signal?: AbortSignal): Promise<Offer[]> {
    type T = { gpuTypes: { id: string; displayName: string; lowestPrice?: { uninterruptablePrice?: number | null; minimumBidPrice?: number | null } | null }[] };
    const data = await this.gql<T>(GPU_TYPES(q.gpuCount), undefined, 'list GPU types', signal);
    const offers: Offer[] = [];
    for (const g of data.gpuTypes ?? []) {
      const perGpu = g.lowestPrice?.uninterruptablePrice;
      // No price at this count means no on-demand stock right now.
      if (perGpu === null || perGpu === undefined) continue;
      if (q.gpuType && !matchesGpu(q.gpuType, [g.id, g.displayName])) continue;
      const price = Math.round(perGpu * q.gpuCount * 10_000) / 10_000;
      if (q.maxPricePerHour === undefined || price <= q.maxPricePerHour) {
        offers.push({ provider: 'runpod', offerId: g.id, gpuType: g.id, gpuName: g.displayName, gpuCount: q.gpuCount, pricePerHour: price, region: null });
      }
      const bid = g.lowestPrice?.minimumBidPrice;
      if (q.spot && typeof bid === 'number' && bid > 0) {
        const spot = Math.round(bid * q.gpuCount * 10_000) / 10_000;
        if (q.maxPricePerHour === undefined || spot <= q.maxPricePerHour) {
          offers.push({ provider: 'runpod', offerId: g.id, gpuType: g.id, gpuName: g.displayName, gpuCount: q.gpuCount, pricePerHour: spot, region: null, interruptible: true });
        }
      }
    }
    return offers.sort((a, b) => a.pricePerHour - b.pricePerHour);
  }

  async launch(spec: LaunchSpec, signal?: AbortSignal): Promise<{ providerInstanceId: string; endpoint: string | null }> {
    // Every field of PodFindAndDeployOnDemandInput is nullable (https://graphql-spec.runpod.io/); only fields
    // with a value are sent, and env entries (EnvironmentVariableInput: key String!, value String!) never carry null.
    const input = {
      cloudType: 'ALL',
      // Without it a pod can land on a host whose driver is older than the image's CUDA and never start
      // (dstack sends minCudaVersion on every deploy).
      minCudaVersion: this.opts.minCudaVersion ?? '12.8',
      gpuCount: spec.offer.gpuCount,
      gpuTypeId: spec.offer.offerId,
      name: spec.name,
      imageName: spec.image,
      containerDiskInGb: spec.diskGb,
      volumeInGb: 0,
      ports: `${spec.port}/http`,
      // dockerArgs replaces the image's CMD and keeps its entrypoint (`vllm serve`).
      dockerArgs: vllmArgs(spec).join(' '),
      env: Object.entries(instanceEnv(spec)).map(([key, value]) => ({ key, value })),
    };
    type T = { podFindAndDeployOnDemand?: { id: string } | null; podRentInterruptable?: { id: string } | null };
    const spot = spec.offer.interruptible === true;
    const bidPerGpu = Math.round((spec.offer.pricePerHour / spec.offer.gpuCount) * 10_000) / 10_000;
    const data = spot
      ? await this.gql<T>(RENT, { input: { ...input, bidPerGpu } }, 'rent spot pod', signal, true)
      : await this.gql<T>(DEPLOY, { input }, 'deploy pod', signal, true);
    const id = (spot ? data.podRentInterruptable : data.podFindAndDeployOnDemand)?.id;
    if (!id) throw new ProviderError('runpod: deploy answered without a pod id', { maybeCreated: true });
    return { providerInstanceId: id, endpoint: this.endpointFor(id) };
  }

  async list(signal?: AbortSignal): Promise<ProviderInstance[]> {
    type T = { myself: { pods: RunPodPod[] } | null };
    const data = await this.gql<T>(PODS, undefined, 'list pods', signal);
    return (data.myself?.pods ?? []).map((p) => ({
      providerInstanceId: p.id,
      name: p.name,
      status: podStatus(p),
      endpoint: this.endpointFor(p.id),
      pricePerHour: p.costPerHr ?? null,
      gpuType: p.machine?.gpuDisplayName ?? null,
      // RUNNING without a runtime: the machine is pulling the image or starting the container.
      detail: p.desiredStatus === 'RUNNING' && !p.runtime ? 'pulling image / starting container' : ['EXITED', 'PAUSED', 'DEAD'].includes(p.desiredStatus) ? `pod ${p.desiredStatus}` : null,
    }));
  }

  async terminate(providerInstanceId: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.gql(TERMINATE, { input: { podId: providerInstanceId } }, 'terminate pod', signal);
    } catch (err) {
      if (err instanceof ProviderError && /not found|does not exist/i.test(err.message)) return;
      throw err;
    }
  }

  private async gql<T>(query: string, variables: Record<string, unknown> | undefined, what: string, signal?: AbortSignal, creating = false): Promise<T> {
    const reply = await this.opts.http.request('POST', '/graphql', variables ? { query, variables } : { query }, signal);
    const body = reply.body as GqlReply<T> | null;
    if (reply.status >= 500) {
      throw new ProviderError(`runpod: ${what} failed with HTTP ${reply.status}: ${shorten(reply.text)}`, { status: reply.status, maybeCreated: creating, retryable: true });
    }
    const first = body?.errors?.[0];
    if (first) {
      const code = first.extensions?.code ?? null;
      if (code === 'UNAUTHENTICATED' || /unauthori[sz]ed|api key/i.test(first.message)) {
        throw new AuthError('runpod rejected the API key', { hint: 'check RUNPOD_API_KEY or burst.providers.runpod.apiKey' });
      }
      if (/no longer any instances available|not enough|out of stock|below the current minimum bid/i.test(first.message)) {
        throw new ProviderError(`runpod: no capacity: ${first.message}`, { code, retryable: true, hint: 'try another --gpu, or retry later' });
      }
      throw new ProviderError(`runpod: ${what} failed: ${first.message}`, { code });
    }
    if (reply.status < 200 || reply.status >= 300 || !body?.data) {
      throw new ProviderError(`runpod: ${what} failed with HTTP ${reply.status}: ${shorten(reply.text)}`, { status: reply.status });
    }
    return body.data;
  }
}

/** PodStatus enum (https://graphql-spec.runpod.io/): CREATED, RUNNING, RESTARTING, EXITED, PAUSED, DEAD, TERMINATED. */
function podStatus(p: RunPodPod): ProviderStatus {
  switch (p.desiredStatus) {
    case 'RUNNING':
      return p.runtime ? 'running' : 'pending';
    case 'CREATED':
    case 'RESTARTING':
      return 'pending';
    // PAUSED and DEAD pods serve nothing but keep their disk (and bill for it): replace them.
    case 'EXITED':
    case 'PAUSED':
    case 'DEAD':
      return 'stopped';
    case 'TERMINATED':
      return 'terminated';
    default:
      return 'unknown';
  }
}
