/**
 * Fake Lambda Cloud API v1 written from https://docs-api.lambda.ai/api/cloud: `{data: …}` envelopes,
 * `{"error":{"code","message","suggestion"}}` errors, Bearer auth, ~1 request/s limit answered with 429.
 */
import { FakeCloud, serve, send, sleep, type FakeCloudOptions, type FakeServer } from './cloud.js';

export const LAMBDA_TYPES = {
  gpu_1x_a10: { description: '1x A10 (24 GB PCIe)', gpu_description: 'A10 (24 GB PCIe)', price_cents_per_hour: 75, gpus: 1, regions: ['us-west-1'] },
  gpu_1x_a100_sxm4: { description: '1x A100 (40 GB SXM4)', gpu_description: 'A100 (40 GB SXM4)', price_cents_per_hour: 129, gpus: 1, regions: ['us-east-1', 'us-west-2'] },
  gpu_1x_h100_pcie: { description: '1x H100 (80 GB PCIe)', gpu_description: 'H100 (80 GB PCIe)', price_cents_per_hour: 249, gpus: 1, regions: [] as string[] },
};

const err = (code: string, message: string, suggestion?: string) => ({ error: { code, message, ...(suggestion ? { suggestion } : {}) } });

export async function startFakeLambda(opts: FakeCloudOptions): Promise<FakeServer> {
  const cloud = new FakeCloud(opts);
  const view = (i: ReturnType<FakeCloud['create']>) => {
    const t = LAMBDA_TYPES[i.gpu as keyof typeof LAMBDA_TYPES];
    return {
      id: i.id,
      name: i.name,
      ip: i.status === 'running' ? '127.0.0.1' : null,
      private_ip: i.status === 'running' ? '10.19.60.24' : null,
      status: i.status === 'pending' ? 'booting' : i.status === 'running' ? 'active' : 'terminated',
      ssh_key_names: (i.body.ssh_key_names as string[]) ?? [],
      file_system_names: [],
      region: { name: String(i.body.region_name), description: 'Fake region' },
      instance_type: { name: i.gpu, description: t.description, gpu_description: t.gpu_description, price_cents_per_hour: t.price_cents_per_hour, specs: { vcpus: 30, memory_gib: 200, storage_gib: 512, gpus: t.gpus } },
      hostname: `${i.id}.cloud.lambdalabs.com`,
      is_reserved: false,
    };
  };
  return serve(cloud, async (req, res, body, path) => {
    if (req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      return send(res, 401, err('global/invalid-api-key', 'API key was invalid, expired, or deleted.', 'Check your API key or create a new one, then try again.'));
    }
    if (cloud.limited()) {
      return send(res, 429, err('global/too-many-requests', 'Too many requests.', 'Wait and try again.'), { 'retry-after': String(opts.rateLimit?.retryAfterS ?? 1) });
    }
    const op = path === '/api/v1/instance-types' ? 'offers' : path.endsWith('/launch') ? 'create' : path.endsWith('/terminate') ? 'terminate' : 'list';
    const fail = cloud.takeFailure(op);
    if (fail === 'rate-limit') return send(res, 429, err('global/too-many-requests', 'Too many requests.'), { 'retry-after': '0' });
    if (fail === 'server-error') return send(res, 500, err('global/unknown', 'An unknown error occurred.'));
    if (req.method === 'GET' && path === '/api/v1/instance-types') {
      const data = Object.fromEntries(
        Object.entries(LAMBDA_TYPES).map(([name, t]) => [
          name,
          {
            instance_type: { name, description: t.description, gpu_description: t.gpu_description, price_cents_per_hour: t.price_cents_per_hour, specs: { vcpus: 30, memory_gib: 200, storage_gib: 512, gpus: t.gpus } },
            regions_with_capacity_available: t.regions.map((r) => ({ name: r, description: `Fake ${r}` })),
          },
        ]),
      );
      return send(res, 200, { data });
    }
    if (req.method === 'GET' && path === '/api/v1/instances') {
      return send(res, 200, { data: cloud.live().map(view) });
    }
    if (req.method === 'POST' && path === '/api/v1/instance-operations/launch') {
      const b = body as Record<string, unknown>;
      if (fail === 'capacity') return send(res, 400, err('instance-operations/launch/insufficient-capacity', 'Not enough capacity to fulfill launch request.', 'Choose an instance type with more availability, or try again later.'));
      if (fail === 'quota') return send(res, 400, err('global/quota-exceeded', 'Quota exceeded.', 'Contact Support to increase your quota.'));
      const type = LAMBDA_TYPES[b.instance_type_name as keyof typeof LAMBDA_TYPES];
      if (!type) return send(res, 404, err('global/object-does-not-exist', 'Specified instance type does not exist.'));
      if (!Array.isArray(b.ssh_key_names) || b.ssh_key_names.length !== 1) return send(res, 400, err('global/invalid-parameters', 'Exactly one SSH key must be specified.'));
      if (!type.regions.includes(String(b.region_name))) return send(res, 400, err('instance-operations/launch/insufficient-capacity', 'Not enough capacity to fulfill launch request.'));
      const userData = String(b.user_data ?? '');
      const key = /VLLM_API_KEY='([^']+)'/.exec(userData)?.[1] ?? '';
      const model = /--served-model-name '([^']+)'/.exec(userData)?.[1] ?? '';
      const i = cloud.create({ id: cloud.nextId('0920582c7ff041399e34823a0be6218'), name: String(b.name ?? ''), apiKey: key, model, gpu: String(b.instance_type_name), price: type.price_cents_per_hour / 100, body: b });
      if (opts.createDelayMs) await sleep(opts.createDelayMs);
      if (fail === 'created-then-500') return send(res, 500, err('global/unknown', 'An unknown error occurred.'));
      return send(res, 200, { data: { instance_ids: [i.id] } });
    }
    if (req.method === 'POST' && path === '/api/v1/instance-operations/terminate') {
      const ids = ((body as { instance_ids?: string[] })?.instance_ids ?? []);
      const missing = ids.filter((id) => !cloud.instances.get(id) || cloud.instances.get(id)!.status === 'terminated');
      if (missing.length) return send(res, 404, err('global/object-does-not-exist', `Instance ${missing[0]} not found.`));
      const done = [];
      for (const id of ids) { const i = await cloud.terminate(id); if (i) done.push(view(i)); }
      return send(res, 200, { data: { terminated_instances: done } });
    }
    return send(res, 404, err('global/object-does-not-exist', 'Not found.'));
  });
}
