import { HttpClient, type HttpReply, ProviderError, shorten } from '../http.js';
import type { BurstProvider, LaunchSpec, Offer, OfferQuery, ProviderInstance, ProviderStatus } from '../types.js';
import { matchesGpu } from './match.js';
import { instanceEnv, vllmArgs } from './serve-args.js';

/**
 * Vast.ai API (https://docs.vast.ai/api-reference): offer search with operator filters (POST /api/v0/bundles/),
 * create from an ask (PUT /api/v0/asks/{id}/), the paged instance list (GET /api/v1/instances/, as vast-cli's
 * show instances), destroy (DELETE /api/v0/instances/{id}/). Errors come as `{success:false,error,msg}`;
 * rate limits as 429.
 */
export interface VastOptions {
  http: HttpClient;
  port?: number;
  /** The host driver's CUDA must reach this (offer field cuda_max_good). */
  minCudaVersion?: string;
  /** Lowest host reliability (offer field reliability2). */
  minReliability?: number;
}

/** vast-cli pages the instance list 25 at a time (vast.py show__instances_v1: `limit = max(1, min(limit, 25))`). */
const PAGE = 25;

interface VastOffer {
  id: number;
  /** Lowest bid (USD/h for the machine) an interruptible instance on this host takes. */
  min_bid?: number | null;
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
  status_msg?: string | null;
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
    // frozen: the host paused the container; offline: the host machine disconnected (vast.py's self-test
    // counts offline with destroyed/terminated). Neither serves, and both keep billing for storage.
    case 'frozen':
    case 'offline':
      return 'stopped';
    default:
      // 'unknown' and anything newer: leave it to readiness checks and readyTimeoutMs.
      return 'unknown';
  }
}

export class VastProvider implements BurstProvider {
  readonly name = 'vast' as const;
  constructor(private readonly opts: VastOptions) {}

  private get port(): number {
    return this.opts.port ?? 8000;
  }

  access(): { ok: boolean; how: string } {
    return { ok: true, how: `port ${this.port}/tcp mapped to a public port on the host's IP (offers without direct ports are skipped), guarded by the instance's API key` };
  }

  async listOffers(q: OfferQuery, signal?: AbortSignal): Promise<Offer[]> {
    const filter: Record<string, unknown> = {
      rentable: { eq: true },
      rented: { eq: false },
      num_gpus: { eq: q.gpuCount },
      type: 'on-demand',
      // What real clients filter on, so the cheapest offer is one that can serve: vast-cli's default query
      // (verified, not external), dstack's Vast backend (a direct port for the server, a CUDA floor for the
      // image, reliability2 >= 0.9), SkyPilot's (disk_space >= the disk asked for).
      verified: { eq: true },
      external: { eq: false },
      direct_port_count: { gte: 1 },
      cuda_max_good: { gte: Number(this.opts.minCudaVersion ?? '12.8') },
      reliability2: { gte: this.opts.minReliability ?? 0.9 },
      ...(q.diskGb !== undefined ? { disk_space: { gte: q.diskGb } } : {}),
      order: [['dph_total', 'asc']],
      limit: 20,
    };
    // The API matches gpu_name as Vast spells it ("RTX 4090"); the CLI's RTX_4090 is only shell-friendly.
    if (q.gpuType) filter.gpu_name = { eq: q.gpuType.replace(/_/g, ' ') };
    if (q.maxPricePerHour !== undefined) filter.dph_total = { lte: q.maxPricePerHour };
    const search = async (type: string): Promise<VastOffer[]> => {
      const body = type === 'bid' && q.maxPricePerHour !== undefined ? { ...filter, type, dph_total: undefined } : { ...filter, type };
      const reply = this.check(await this.opts.http.request('POST', '/api/v0/bundles/', body, signal), 'search offers');
      return ((reply.body as { offers?: VastOffer[] }).offers ?? []).filter((o) => !q.gpuType || matchesGpu(q.gpuType, [o.gpu_name]));
    };
    const toOffer = (o: VastOffer, price: number, interruptible: boolean): Offer => ({
      provider: 'vast',
      offerId: String(o.id),
      gpuType: o.gpu_name.replace(/ /g, '_'),
      gpuName: o.gpu_name,
      gpuCount: o.num_gpus,
      pricePerHour: price,
      region: o.geolocation ?? null,
      ...(interruptible ? { interruptible: true } : {}),
    });
    const offers = (await search('on-demand')).map((o) => toOffer(o, o.dph_total, false));
    // Interruptible instances are bids (vast-cli `search offers --type bid`); the host's min_bid is the price.
    if (q.spot) {
      for (const o of await search('bid')) {
        if (typeof o.min_bid !== 'number' || o.min_bid <= 0) continue;
        if (q.maxPricePerHour !== undefined && o.min_bid > q.maxPricePerHour) continue;
        offers.push(toOffer(o, o.min_bid, true));
      }
    }
    return offers.sort((a, b) => a.pricePerHour - b.pricePerHour);
  }

  async launch(spec: LaunchSpec, signal?: AbortSignal): Promise<{ providerInstanceId: string; endpoint: string | null }> {
    const reply = await this.opts.http.request('PUT', `/api/v0/asks/${encodeURIComponent(spec.offer.offerId)}/`, {
      image: spec.image,
      label: spec.name,
      // A price makes it a bid: an interruptible instance (dstack's vastai create_instance `price: bid`).
      ...(spec.offer.interruptible ? { price: spec.offer.pricePerHour } : {}),
      disk: spec.diskGb,
      // `args` keeps the image's own entrypoint (vLLM's API server) and passes these as its arguments.
      runtype: 'args',
      args: vllmArgs(spec),
      // Docker options ride in `env` as keys (vast.py parse_env; dstack's vastai api_client does the same).
      env: { ...instanceEnv(spec), [`-p ${spec.port}:${spec.port}`]: '1' },
    }, signal);
    const failed = reply.body as (VastErrorBody & { new_contract?: number }) | null;
    if (failed?.success === false && failed.new_contract !== undefined) {
      // Vast created it (stopped) although the bid failed: it would bill for its disk, so it goes at once.
      await this.terminate(String(failed.new_contract), signal);
      throw new ProviderError(`vast: bid refused: ${failed.msg ?? failed.error ?? 'no reason given'}`, { status: reply.status, code: failed.error ?? null, retryable: true, hint: 'the on-demand offer is tried next' });
    }
    const body = this.check(reply, 'create instance', true).body as { success?: boolean; new_contract?: number };
    if (body.new_contract === undefined) throw new ProviderError('vast: create answered without new_contract', { maybeCreated: true });
    return { providerInstanceId: String(body.new_contract), endpoint: null };
  }

  async list(signal?: AbortSignal): Promise<ProviderInstance[]> {
    const instances: VastInstance[] = [];
    // Query values are JSON, as vast.py apiurl() encodes them; each page hands the next one's after_token.
    const params: Record<string, unknown> = { select_filters: {}, order_by: [{ col: 'id', dir: 'asc' }], limit: PAGE };
    for (let page = 0; page < 1000; page++) {
      const qs = Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`).join('&');
      const reply = this.check(await this.opts.http.request('GET', `/api/v1/instances/?${qs}`, undefined, signal), 'list instances');
      const body = reply.body as { instances?: VastInstance[]; next_token?: string | null };
      instances.push(...(body.instances ?? []));
      if (!body.next_token) break;
      params.after_token = body.next_token;
    }
    return instances.map((i) => {
      const mapped = i.ports?.[`${this.port}/tcp`]?.[0]?.HostPort;
      return {
        providerInstanceId: String(i.id),
        name: i.label ?? '',
        status: status(i),
        endpoint: i.public_ipaddr && mapped ? `http://${i.public_ipaddr.trim()}:${mapped}/v1` : null,
        pricePerHour: i.dph_total ?? null,
        gpuType: i.gpu_name ? i.gpu_name.replace(/ /g, '_') : null,
        detail: i.status_msg?.trim() || null,
      };
    });
  }

  async terminate(providerInstanceId: string, signal?: AbortSignal): Promise<void> {
    const reply = await this.opts.http.request('DELETE', `/api/v0/instances/${encodeURIComponent(providerInstanceId)}/`, undefined, signal);
    // Already gone answers error "no_such_instance", whatever the HTTP status (dstack's vastai api_client).
    if ((reply.body as VastErrorBody | null)?.error === 'no_such_instance' || reply.status === 404) return;
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
