import { HttpClient, type HttpReply, ProviderError, shorten } from '../http.js';
import type { BurstProvider, LaunchSpec, Offer, OfferQuery, ProviderInstance, ProviderStatus } from '../types.js';
import { matchesGpu } from './match.js';

/**
 * Vast.ai REST API v0 (https://docs.vast.ai/api-reference): offer search with operator filters
 * (POST /api/v0/bundles/), create from an ask (PUT /api/v0/asks/{id}/), list and destroy instances.
 * Errors come as `{success:false,error,msg}`; rate limits as 429.
 */
export interface VastOptions {
  http: HttpClient;
  port?: number;
}

interface VastOffer {
  id: number;
  gpu_name: string;
  num_gpus: number;
  dph_total: number;
  geolocation?: string | null;
}

interface VastInstance {
  id: number;
  label?: string | null;
  actual_status?: string | null;
  cur_state?: string | null;
  public_ipaddr?: string | null;
  ports?: Record<string, { HostIp?: string; HostPort: string }[]> | null;
  dph_total?: number | null;
  gpu_name?: string | null;
}

interface VastErrorBody {
  success?: boolean;
  error?: string;
  msg?: string;
}

function status(i: VastInstance): ProviderStatus {
  switch (i.actual_status ?? null) {
    case null:
    case 'created':
    case 'loading':
      return 'pending';
    case 'running':
      return 'running';
    case 'stopped':
    case 'exited':
      return 'stopped';
    default:
      return 'unknown';
  }
}

export class VastProvider implements BurstProvider {
  readonly name = 'vast' as const;
  constructor(private readonly opts: VastOptions) {}

  private get port(): number {
    return this.opts.port ?? 8000;
  }

  async listOffers(q: OfferQuery, signal?: AbortSignal): Promise<Offer[]> {
    const filter: Record<string, unknown> = {
      rentable: { eq: true },
      rented: { eq: false },
      num_gpus: { eq: q.gpuCount },
      type: 'on-demand',
      order: [['dph_total', 'asc']],
      limit: 20,
    };
    // The API matches gpu_name as Vast spells it ("RTX 4090"); the CLI's RTX_4090 is only shell-friendly.
    if (q.gpuType) filter.gpu_name = { eq: q.gpuType.replace(/_/g, ' ') };
    if (q.maxPricePerHour !== undefined) filter.dph_total = { lte: q.maxPricePerHour };
    const reply = this.check(await this.opts.http.request('POST', '/api/v0/bundles/', filter, signal), 'search offers');
    const offers = ((reply.body as { offers?: VastOffer[] }).offers ?? []).filter((o) => !q.gpuType || matchesGpu(q.gpuType, [o.gpu_name]));
    return offers
      .map((o) => ({
        provider: 'vast' as const,
        offerId: String(o.id),
        gpuType: o.gpu_name.replace(/ /g, '_'),
        gpuName: o.gpu_name,
        gpuCount: o.num_gpus,
        pricePerHour: o.dph_total,
        region: o.geolocation ?? null,
      }))
      .sort((a, b) => a.pricePerHour - b.pricePerHour);
  }

  async launch(spec: LaunchSpec, signal?: AbortSignal): Promise<{ providerInstanceId: string; endpoint: string | null }> {
    const reply = await this.opts.http.request('PUT', `/api/v0/asks/${encodeURIComponent(spec.offer.offerId)}/`, {
      image: spec.image,
      label: spec.name,
      disk: spec.diskGb,
      // `args` keeps the image's own entrypoint (vLLM's API server) and passes these as its arguments.
      runtype: 'args',
      args: ['--model', spec.model, '--served-model-name', spec.model, '--port', String(spec.port)],
      env: { VLLM_API_KEY: spec.apiKey, [`-p ${spec.port}:${spec.port}`]: '1' },
    }, signal);
    const body = this.check(reply, 'create instance', true).body as { success?: boolean; new_contract?: number };
    if (body.new_contract === undefined) throw new ProviderError('vast: create answered without new_contract', { maybeCreated: true });
    return { providerInstanceId: String(body.new_contract), endpoint: null };
  }

  async list(signal?: AbortSignal): Promise<ProviderInstance[]> {
    const reply = this.check(await this.opts.http.request('GET', '/api/v0/instances/', undefined, signal), 'list instances');
    const instances = (reply.body as { instances?: VastInstance[] }).instances ?? [];
    return instances.map((i) => {
      const mapped = i.ports?.[`${this.port}/tcp`]?.[0]?.HostPort;
      return {
        providerInstanceId: String(i.id),
        name: i.label ?? '',
        status: status(i),
        endpoint: i.public_ipaddr && mapped ? `http://${i.public_ipaddr.trim()}:${mapped}/v1` : null,
        pricePerHour: i.dph_total ?? null,
        gpuType: i.gpu_name ? i.gpu_name.replace(/ /g, '_') : null,
      };
    });
  }

  async terminate(providerInstanceId: string, signal?: AbortSignal): Promise<void> {
    const reply = await this.opts.http.request('DELETE', `/api/v0/instances/${encodeURIComponent(providerInstanceId)}/`, undefined, signal);
    if (reply.status === 404) return;
    this.check(reply, 'destroy instance');
  }

  private check(reply: HttpReply, what: string, creating = false): HttpReply {
    const body = reply.body as VastErrorBody | null;
    if (reply.status >= 200 && reply.status < 300 && body?.success !== false) return reply;
    const code = body?.error ?? null;
    const detail = body?.msg ?? body?.error ?? shorten(reply.text);
    if (creating && (reply.status === 404 || reply.status === 410 || code === 'no_such_ask')) {
      throw new ProviderError(`vast: that offer is no longer available: ${detail}`, { status: reply.status, code, retryable: true, hint: 'run `luna burst plan` again for a fresh offer' });
    }
    if (reply.status >= 500) {
      throw new ProviderError(`vast: ${what} failed with HTTP ${reply.status}: ${detail}`, { status: reply.status, code, maybeCreated: creating, retryable: true });
    }
    throw new ProviderError(`vast: ${what} failed with HTTP ${reply.status}${code ? ` ${code}` : ''}: ${detail}`, { status: reply.status, code });
  }
}
