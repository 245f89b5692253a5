/**
 * Fake Vast.ai REST API v0 written from https://docs.vast.ai/api-reference: offer search with operator
 * filters (POST /api/v0/bundles/), create from an ask (PUT /api/v0/asks/{id}/ → {success, new_contract}),
 * GET/DELETE /api/v0/instances/, `{success:false,error,msg}` errors, 429 rate_limit_exceeded.
 */
import { FakeCloud, serve, send, sleep, type FakeCloudOptions, type FakeServer } from './cloud.js';

export const VAST_OFFERS = [
  { id: 4242001, gpu_name: 'RTX 4090', num_gpus: 1, dph_total: 0.412, geolocation: 'Sweden, SE', rentable: true, rented: false },
  { id: 4242002, gpu_name: 'RTX 4090', num_gpus: 1, dph_total: 0.355, geolocation: 'Texas, US', rentable: true, rented: false },
  { id: 4242003, gpu_name: 'RTX 3090', num_gpus: 1, dph_total: 0.198, geolocation: 'Quebec, CA', rentable: true, rented: false },
  { id: 4242004, gpu_name: 'A100 SXM4', num_gpus: 2, dph_total: 2.1, geolocation: 'Oregon, US', rentable: true, rented: false },
  { id: 4242005, gpu_name: 'RTX 4090', num_gpus: 1, dph_total: 0.29, geolocation: 'Poland, PL', rentable: false, rented: true },
];

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

export async function startFakeVast(opts: FakeCloudOptions): Promise<FakeServer> {
  const cloud = new FakeCloud(opts);
  const view = (i: ReturnType<FakeCloud['create']>) => {
    const env = (i.body.env ?? {}) as Record<string, string>;
    const portKey = Object.keys(env).find((k) => k.startsWith('-p '));
    const inner = portKey ? portKey.split(':')[1] : '8000';
    return {
      id: Number(i.id),
      label: i.name,
      actual_status: i.status === 'pending' ? 'loading' : i.status === 'running' ? 'running' : 'exited',
      cur_state: 'running',
      intended_status: 'running',
      next_state: 'running',
      image_uuid: i.body.image,
      gpu_name: i.gpu,
      num_gpus: 1,
      dph_total: i.price,
      public_ipaddr: i.status === 'running' ? '127.0.0.1\n' : null,
      ports: i.status === 'running' && i.vllm ? { [`${inner}/tcp`]: [{ HostIp: '0.0.0.0', HostPort: String(i.vllm.port) }] } : {},
      status_msg: i.status === 'running' ? 'success, running' : 'Pulling image',
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
      const offers = VAST_OFFERS.filter((o) => matches(o, f)).sort((a, b) => a.dph_total - b.dph_total).slice(0, Number(f.limit ?? 64));
      return send(res, 200, { offers });
    }
    const ask = /^\/api\/v0\/asks\/(\d+)\/$/.exec(path);
    if (req.method === 'PUT' && ask) {
      const offer = VAST_OFFERS.find((o) => o.id === Number(ask[1]));
      if (fail === 'capacity' || !offer || !offer.rentable) return send(res, 400, { success: false, error: 'no_such_ask', msg: `Instance type no longer available.`, ask_id: Number(ask[1]) });
      if (fail === 'quota') return send(res, 403, { success: false, error: 'insufficient_credit', msg: 'Your account lacks credit.', ask_id: offer.id });
      const b = body as Record<string, unknown>;
      const env = (b.env ?? {}) as Record<string, string>;
      const args = (b.args ?? []) as string[];
      const model = args[args.indexOf('--served-model-name') + 1] ?? '';
      const i = cloud.create({ id: cloud.nextId('78356'), name: String(b.label ?? ''), apiKey: env.VLLM_API_KEY ?? '', model, gpu: offer.gpu_name, price: offer.dph_total, body: b });
      if (opts.createDelayMs) await sleep(opts.createDelayMs);
      if (fail === 'created-then-500') return send(res, 500, { success: false, error: 'server_error', msg: 'Internal Server Error' });
      return send(res, 200, { success: true, new_contract: Number(i.id) });
    }
    if (req.method === 'GET' && path === '/api/v0/instances/') {
      const list = cloud.live().map(view);
      return send(res, 200, { instances_found: list.length, instances: list });
    }
    const inst = /^\/api\/v0\/instances\/(\d+)\/$/.exec(path);
    if (req.method === 'DELETE' && inst) {
      const i = await cloud.terminate(inst[1]!);
      if (!i) return send(res, 404, { success: false, error: 'no_such_instance', msg: 'Instance not found.' });
      return send(res, 200, { success: true });
    }
    return send(res, 404, { success: false, error: 'not_found', msg: 'Not found' });
  });
}
