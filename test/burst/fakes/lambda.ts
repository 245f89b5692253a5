/**
 * Fake Lambda Cloud API v1 written from https://docs-api.lambda.ai/api/cloud: `{data: …}` envelopes,
 * `{"error":{"code","message","suggestion"}}` errors, Bearer auth, ~1 request/s limit answered with 429.
 */
import { FakeCloud, serve, send, sleep, type FakeCloudOptions, type FakeServer } from './cloud.js';
import { parseUserData } from './user-data.js';

export const LAMBDA_TYPES = {
  gpu_1x_a10: { description: '1x A10 (24 GB PCIe)', gpu_description: 'A10 (24 GB PCIe)', price_cents_per_hour: 75, gpus: 1, regions: ['us-west-1'] },
  gpu_1x_a100_sxm4: { description: '1x A100 (40 GB SXM4)', gpu_description: 'A100 (40 GB SXM4)', price_cents_per_hour: 129, gpus: 1, regions: ['us-east-1', 'us-west-2'] },
  gpu_1x_h100_pcie: { description: '1x H100 (80 GB PCIe)', gpu_description: 'H100 (80 GB PCIe)', price_cents_per_hour: 249, gpus: 1, regions: [] as string[] },
};

const err = (code: string, message: string, suggestion?: string) => ({ error: { code, message, ...(suggestion ? { suggestion } : {}) } });

export interface FirewallRule {
  protocol: 'tcp' | 'udp' | 'icmp' | 'all';
  port_range?: [number, number];
  source_network: string;
  description: string;
}

/**
 * New accounts allow only SSH and ICMP inbound (https://docs.lambda.ai/public-cloud/firewalls/); everything else,
 * vLLM's port included, is dropped until a rule allows it.
 */
export const DEFAULT_FIREWALL: FirewallRule[] = [
  { protocol: 'tcp', port_range: [22, 22], source_network: '0.0.0.0/0', description: 'Allow SSH' },
  { protocol: 'icmp', source_network: '0.0.0.0/0', description: 'Allow ICMP' },
];

function ipv4(s: string): number | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s.replace(/^::ffff:/, ''));
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return parts.reduce((n, p) => n * 256 + p, 0);
}

function inCidr(addr: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/');
  const a = ipv4(addr);
  const n = ipv4(net ?? '');
  const b = Number(bits);
  if (a === null || n === null) return false;
  const mask = b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
  return ((a & mask) >>> 0) === ((n & mask) >>> 0);
}

/**
 * PUT /api/v1/firewall-rules replaces the whole inbound rule set (https://docs-api.lambda.ai/api/cloud,
 * "Replace inbound firewall rules"): protocol tcp/udp/icmp/all, port_range [from, to] for all but icmp,
 * source_network as CIDR. Anything else is a 400 global/invalid-parameters.
 */
function invalidRule(r: Record<string, unknown>): string | null {
  if (!['tcp', 'udp', 'icmp', 'all'].includes(String(r.protocol))) return `Invalid protocol: ${String(r.protocol)}`;
  if (r.protocol === 'icmp') { if (r.port_range !== undefined) return 'port_range must not be set for icmp'; } else {
    const pr = r.port_range;
    if (!Array.isArray(pr) || pr.length !== 2 || !pr.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535) || pr[0] > pr[1]) return 'port_range must be [from, to] within 1-65535';
  }
  const src = String(r.source_network ?? '');
  const bits = Number(src.split('/')[1]);
  if (ipv4(src.split('/')[0] ?? '') === null || !src.includes('/') || !(bits >= 0 && bits <= 32)) return `Invalid source_network: ${src}`;
  if (typeof r.description !== 'string') return 'description is required';
  return null;
}

export async function startFakeLambda(opts: FakeCloudOptions): Promise<FakeServer & { firewall: FirewallRule[] }> {
  const cloud = new FakeCloud(opts);
  const firewall: FirewallRule[] = DEFAULT_FIREWALL.map((r) => ({ ...r }));
  // The instance's port answers only the sources a rule allows (Lambda has no port mapping: the VM's own port).
  if (opts.fixedVllm) {
    const port = opts.fixedVllm.port;
    opts.fixedVllm.gate = (addr) => firewall.some((r) => (r.protocol === 'tcp' || r.protocol === 'all') && r.port_range && r.port_range[0] <= port && port <= r.port_range[1] && inCidr(addr, r.source_network));
  }
  const view = (i: ReturnType<FakeCloud['create']>) => {
    const t = LAMBDA_TYPES[i.gpu as keyof typeof LAMBDA_TYPES];
    return {
      id: i.id,
      name: i.name,
      // A container that exited leaves the VM itself active.
      ip: i.status === 'running' || i.status === 'exited' ? '127.0.0.1' : null,
      private_ip: i.status === 'running' || i.status === 'exited' ? '10.19.60.24' : null,
      status: i.status === 'pending' ? 'booting' : i.status === 'running' || i.status === 'exited' ? 'active' : 'terminated',
      ssh_key_names: (i.body.ssh_key_names as string[]) ?? [],
      file_system_names: [],
      region: { name: String(i.body.region_name), description: 'Fake region' },
      instance_type: { name: i.gpu, description: t.description, gpu_description: t.gpu_description, price_cents_per_hour: t.price_cents_per_hour, specs: { vcpus: 30, memory_gib: 200, storage_gib: 512, gpus: t.gpus } },
      hostname: `${i.id}.cloud.lambdalabs.com`,
      is_reserved: false,
    };
  };
  const server = await serve(cloud, async (req, res, body, path) => {
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
    if (path === '/api/v1/firewall-rules' && req.method === 'GET') return send(res, 200, { data: firewall });
    if (path === '/api/v1/firewall-rules' && req.method === 'PUT') {
      const rules = (body as { data?: unknown })?.data;
      if (!Array.isArray(rules)) return send(res, 400, err('global/invalid-parameters', 'data must be a list of firewall rules.'));
      for (const r of rules) {
        const bad = invalidRule((r ?? {}) as Record<string, unknown>);
        if (bad) return send(res, 400, err('global/invalid-parameters', bad));
      }
      firewall.splice(0, firewall.length, ...(rules as FirewallRule[]));
      return send(res, 200, { data: firewall });
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
      // The VM runs user_data through cloud-init; what it starts is what the script's `docker run` says.
      const run = parseUserData(String(b.user_data ?? ''));
      const i = cloud.createContainer({ id: cloud.nextId('0920582c7ff041399e34823a0be6218'), name: String(b.name ?? ''), gpu: String(b.instance_type_name), price: type.price_cents_per_hour / 100, body: b, args: run?.args ?? [], env: run?.env ?? {} });
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
  return Object.assign(server, { firewall });
}
