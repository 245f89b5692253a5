/**
 * Fake Vast.ai API written from https://docs.vast.ai/api-reference, vast-cli (vast-ai/vast-cli, vast.py) and
 * dstack's Vast backend (dstackai/dstack, src/dstack/_internal/core/backends/vastai): offer search with
 * operator filters (POST /api/v0/bundles/), create from an ask (PUT /api/v0/asks/{id}/ → {success,
 * new_contract}), the paged instance list GET /api/v1/instances/, DELETE /api/v0/instances/{id}/,
 * `{success:false,error,msg}` errors, 429 rate_limit_exceeded.
 */
import { FakeCloud, serve, send, sleep, type FakeCloudOptions, type FakeServer } from './cloud.js';

const GOOD = { rentable: true, rented: false, verified: true, external: false, direct_port_count: 8, disk_space: 200, cuda_max_good: 12.9, reliability2: 0.995 };

/**
 * The cheapest RTX 4090s are traps an unfiltered search returns first, one per filter real clients send:
 * no direct port (dstack: direct_port_count >= 1), driver too old for the image (dstack: cuda_max_good >= 12.8),
 * too little disk (SkyPilot: disk_space >= disk), unreliable host (dstack: reliability2 >= 0.9), unverified
 * or external (vast-cli's default query: verified=true, external=false).
 */
export const VAST_OFFERS = [
  { id: 4242001, gpu_name: 'RTX 4090', num_gpus: 1, dph_total: 0.412, geolocation: 'Sweden, SE', ...GOOD },
  { id: 4242002, gpu_name: 'RTX 4090', num_gpus: 1, dph_total: 0.355, geolocation: 'Texas, US', ...GOOD },
  { id: 4242003, gpu_name: 'RTX 3090', num_gpus: 1, dph_total: 0.198, geolocation: 'Quebec, CA', ...GOOD },
  { id: 4242004, gpu_name: 'A100 SXM4', num_gpus: 2, dph_total: 2.1, geolocation: 'Oregon, US', ...GOOD },
  { id: 4242005, gpu_name: 'RTX 4090', num_gpus: 1, dph_total: 0.29, geolocation: 'Poland, PL', ...GOOD, rentable: false, rented: true },
  { id: 4242006, gpu_name: 'RTX 4090', num_gpus: 1, dph_total: 0.21, geolocation: 'Ohio, US', ...GOOD, direct_port_count: 0 },
  { id: 4242007, gpu_name: 'RTX 4090', num_gpus: 1, dph_total: 0.22, geolocation: 'Ohio, US', ...GOOD, cuda_max_good: 11.8 },
  { id: 4242008, gpu_name: 'RTX 4090', num_gpus: 1, dph_total: 0.23, geolocation: 'Ohio, US', ...GOOD, disk_space: 20 },
  { id: 4242009, gpu_name: 'RTX 4090', num_gpus: 1, dph_total: 0.24, geolocation: 'Ohio, US', ...GOOD, reliability2: 0.71 },
  { id: 4242010, gpu_name: 'RTX 4090', num_gpus: 1, dph_total: 0.25, geolocation: 'Ohio, US', ...GOOD, verified: false },
  { id: 4242011, gpu_name: 'RTX 4090', num_gpus: 1, dph_total: 0.26, geolocation: 'Ohio, US', ...GOOD, external: true },
];

/** CUDA the vllm/vllm-openai image is built against; an older driver cannot start it. */
export const IMAGE_CUDA = 12.8;

export const minBid = (dph: number) => Math.round(dph * 40) / 100;

type Op = { eq?: unknown; neq?: unknown; gt?: number; gte?: number; lt?: number; lte?: number; in?: unknown[]; notin?: unknown[] };

function matches(offer: Record<string, unknown>, filter: Record<string, unknown>): boolean {
  for (const [field, cond] of Object.entries(filter)) {
    if (['order', 'type', 'limit', 'disable_bundling', 'allocated_storage'].includes(field)) continue;
    if (!(field in offer) || typeof cond !== 'object' || cond === null) continue;
    const v = offer[field] as number;
    const c = cond as Op;
    if ('eq' in c && v !== c.eq) return false;
    if ('neq' in c && v === c.neq) return false;
    if (c.gt !== undefined && !(v > c.gt)) return false;
    if (c.gte !== undefined && !(v >= c.gte)) return false;
    if (c.lt !== undefined && !(v < c.lt)) return false;
    if (c.lte !== undefined && !(v <= c.lte)) return false;
    if (c.in && !c.in.includes(v)) return false;
    if (c.notin && c.notin.includes(v)) return false;
  }
  return true;
}

/** vast-cli pages /api/v1/instances/ with `limit` (at most 25) and `after_token` from each page's `next_token`. */
const PAGE_MAX = 25;

export async function startFakeVast(opts: FakeCloudOptions & { pageMax?: number; bidRise?: number }): Promise<FakeServer> {
  const cloud = new FakeCloud(opts);
  const view = (i: ReturnType<FakeCloud['create']>) => {
    const env = (i.body.env ?? {}) as Record<string, string>;
    const portKey = Object.keys(env).find((k) => k.startsWith('-p '));
    const inner = portKey ? portKey.split(':')[1] : '8000';
    const offer = VAST_OFFERS.find((o) => o.id === Number(i.body.ask_id));
    const hasPorts = (offer?.direct_port_count ?? 1) > 0;
    return {
      id: Number(i.id),
      label: i.name,
      actual_status: i.providerState ?? (i.status === 'pending' ? 'loading' : i.status === 'running' ? 'running' : 'exited'),
      cur_state: 'running',
      intended_status: 'running',
      next_state: 'running',
      image_uuid: i.body.image,
      gpu_name: i.gpu,
      num_gpus: 1,
      dph_total: i.price,
      public_ipaddr: i.status === 'running' ? '127.0.0.1\n' : null,
      // A host without direct ports maps none: the server is unreachable from outside.
      ports: i.status === 'running' && i.vllm && hasPorts ? { [`${inner}/tcp`]: [{ HostIp: '0.0.0.0', HostPort: String(i.vllm.port) }] } : {},
      status_msg: i.failure ?? (i.status === 'running' ? 'success, running' : 'Pulling image'),
      extra_env: Object.entries(env).filter(([k]) => !k.startsWith('-')).map(([k]) => [k, '***']),
    };
  };
  return serve(cloud, async (req, res, body, path) => {
    if (req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      return send(res, 401, { success: false, error: 'invalid_user_key', msg: 'Invalid user key' });
    }
    if (cloud.limited()) return send(res, 429, { success: false, error: 'rate_limit_exceeded', msg: 'API requests too frequent' }, { 'retry-after': String(opts.rateLimit?.retryAfterS ?? 1) });
    const op = path === '/api/v0/bundles/' ? 'offers' : path.startsWith('/api/v0/asks/') ? 'create' : req.method === 'DELETE' ? 'terminate' : 'list';
    const fail = cloud.takeFailure(op);
    if (fail === 'rate-limit') return send(res, 429, { success: false, error: 'rate_limit_exceeded', msg: 'API requests too frequent' });
    if (fail === 'server-error') return send(res, 500, { success: false, error: 'server_error', msg: 'Internal Server Error' });
    if (req.method === 'POST' && path === '/api/v0/bundles/') {
      const f = (body ?? {}) as Record<string, unknown>;
      // Offers carry min_bid, the lowest interruptible bid the host takes (dstack's VastAIOfferBackendData).
      const offers = VAST_OFFERS.filter((o) => matches(o, f)).map((o) => ({ ...o, min_bid: minBid(o.dph_total) })).sort((a, b) => a.dph_total - b.dph_total).slice(0, Number(f.limit ?? 64));
      return send(res, 200, { offers });
    }
    const ask = /^\/api\/v0\/asks\/(\d+)\/$/.exec(path);
    if (req.method === 'PUT' && ask) {
      const offer = VAST_OFFERS.find((o) => o.id === Number(ask[1]));
      if (fail === 'capacity' || !offer || !offer.rentable) return send(res, 400, { success: false, error: 'no_such_ask', msg: `Instance type no longer available.`, ask_id: Number(ask[1]) });
      if (fail === 'quota') return send(res, 403, { success: false, error: 'insufficient_credit', msg: 'Your account lacks credit.', ask_id: offer.id });
      const b: Record<string, unknown> = { ...(body as Record<string, unknown>), ask_id: offer.id };
      const env = (b.env ?? {}) as Record<string, string>;
      // runtype "args" keeps the image's entrypoint and passes `args` to it (vast.py create__instance).
      const args = b.runtype === 'args' ? ((b.args ?? []) as string[]) : [];
      const hostFailure = offer.cuda_max_good < IMAGE_CUDA
        ? `Error response from daemon: OCI runtime create failed: nvidia-container-cli: requirement error: unsatisfied condition: cuda>=${IMAGE_CUDA}`
        : Number(b.disk ?? 0) > offer.disk_space ? 'failed to register layer: write /usr/local/lib/python3.12: no space left on device' : undefined;
      // A `price` makes it an interruptible (bid) instance. Below min_bid Vast still creates it, stopped, and
      // answers an error carrying new_contract (dstack's VastAICreateInstanceError.created_instance_id).
      const bid = typeof b.price === 'number' ? b.price : null;
      // bidRise: other renters outbid the listed min_bid between search and create.
      const outbid = bid !== null && bid < minBid(offer.dph_total) * (opts.bidRise ?? 1);
      const i = cloud.createContainer({ id: cloud.nextId('78356'), name: String(b.label ?? ''), gpu: offer.gpu_name, price: bid ?? offer.dph_total, body: b, args, env, hostFailure: outbid ? 'outbid: instance stopped' : hostFailure });
      if (outbid) return send(res, 200, { success: false, error: 'insufficient_bid', msg: `Your bid of $${bid}/hr is below the minimum $${minBid(offer.dph_total)}/hr; the instance was created stopped.`, new_contract: Number(i.id) });
      if (opts.createDelayMs) await sleep(opts.createDelayMs);
      if (fail === 'created-then-500') return send(res, 500, { success: false, error: 'server_error', msg: 'Internal Server Error' });
      return send(res, 200, { success: true, new_contract: Number(i.id) });
    }
    // The v0 list is deprecated in favour of the paged v1 list (vast.py _fetch_all_instances_v1).
    if (req.method === 'GET' && path === '/api/v0/instances/') {
      return send(res, 410, { success: false, error: 'deprecated', msg: 'GET /api/v0/instances/ is deprecated; use /api/v1/instances/ with limit and after_token.' });
    }
    if (req.method === 'GET' && path === '/api/v1/instances/') {
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      const limit = Math.max(1, Math.min(Number(q.get('limit') ?? PAGE_MAX), PAGE_MAX, opts.pageMax ?? PAGE_MAX));
      const after = q.get('after_token') ? Number(Buffer.from(q.get('after_token')!, 'base64url').toString()) : -1;
      const all = cloud.live().map(view).sort((a, b) => a.id - b.id);
      const rest = all.filter((i) => i.id > after);
      const page = rest.slice(0, limit);
      const next = rest.length > limit ? Buffer.from(String(page.at(-1)!.id)).toString('base64url') : null;
      return send(res, 200, { instances: page, next_token: next, total_instances: all.length });
    }
    const inst = /^\/api\/v0\/instances\/(\d+)\/$/.exec(path);
    if (req.method === 'DELETE' && inst) {
      const i = await cloud.terminate(inst[1]!);
      // dstack's destroy_instance treats only error "no_such_instance" as already gone, whatever the status.
      if (!i) return send(res, 400, { success: false, error: 'no_such_instance', msg: `Instance ${inst[1]} not found.` });
      return send(res, 200, { success: true });
    }
    return send(res, 404, { success: false, error: 'not_found', msg: 'Not found' });
  });
}
