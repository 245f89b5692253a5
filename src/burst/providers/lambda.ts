import { ConfigError } from '../../errors.js';
import { HttpClient, type HttpReply, ProviderError, shorten } from '../http.js';
import type { BurstProvider, LaunchSpec, Offer, OfferQuery, ProviderInstance, ProviderStatus } from '../types.js';
import { matchesGpu } from './match.js';
import { instanceEnv, vllmArgs } from './serve-args.js';

/**
 * Lambda Cloud API v1 (https://docs-api.lambda.ai/api/cloud): instance types with per-region capacity,
 * launch/terminate operations, Bearer auth, `{"error":{"code","message","suggestion"}}` error bodies.
 */
export interface LambdaOptions {
  http: HttpClient;
  sshKeyName?: string;
  region?: string;
  /** Lambda has no port mapping: the server listens on this port of the instance's public IP. */
  port?: number;
  /** CIDRs the account firewall lets reach `port`; launching is refused without them (the port would stay closed). */
  allowedSources?: string[];
}

interface FirewallRule {
  protocol: string;
  port_range?: [number, number];
  source_network: string;
  description?: string;
}

interface LambdaErrorBody {
  error?: { code?: string; message?: string; suggestion?: string };
}

interface LambdaTypeEntry {
  instance_type: {
    name: string;
    description?: string;
    gpu_description?: string;
    price_cents_per_hour: number;
    specs?: { gpus?: number };
  };
  regions_with_capacity_available: { name: string; description?: string }[];
}

interface LambdaInstance {
  id: string;
  name?: string | null;
  ip?: string | null;
  status: string;
  instance_type?: { name?: string; price_cents_per_hour?: number };
}

const STATUS: Record<string, ProviderStatus> = {
  booting: 'pending',
  active: 'running',
  unhealthy: 'unknown',
  terminating: 'terminated',
  terminated: 'terminated',
};

export class LambdaProvider implements BurstProvider {
  readonly name = 'lambda' as const;
  constructor(private readonly opts: LambdaOptions) {}

  private get port(): number {
    return this.opts.port ?? 8000;
  }

  access(): { ok: boolean; how: string } {
    const sources = this.opts.allowedSources;
    if (!sources?.length) return { ok: false, how: `needs burst.providers.lambda.allowedSources: Lambda lets in only SSH and ICMP, so port ${this.port} stays closed (launch refused)` };
    return { ok: true, how: `port ${this.port}/tcp opened to ${sources.join(', ')} through the account's firewall rules (they apply to all your Lambda instances, except in us-south-1)` };
  }

  /**
   * Lambda instances accept only SSH and ICMP until a firewall rule allows more
   * (https://docs.lambda.ai/public-cloud/firewalls/). The rules are account-wide and PUT replaces all of them
   * (https://docs-api.lambda.ai/api/cloud, "Replace inbound firewall rules"), so the current set is read and
   * kept, and only the missing port/source rules are added.
   */
  async ensurePortOpen(signal?: AbortSignal): Promise<void> {
    const sources = this.opts.allowedSources ?? [];
    const got = this.check(await this.opts.http.request('GET', '/api/v1/firewall-rules', undefined, signal), 'list firewall rules');
    const rules = (got.body as { data?: FirewallRule[] }).data ?? [];
    const covers = (r: FirewallRule, src: string) =>
      (r.protocol === 'tcp' || r.protocol === 'all') && r.source_network === src && !!r.port_range && r.port_range[0] <= this.port && this.port <= r.port_range[1];
    const missing = sources.filter((src) => !rules.some((r) => covers(r, src)));
    if (!missing.length) return;
    const added = missing.map((src) => ({ protocol: 'tcp', port_range: [this.port, this.port] as [number, number], source_network: src, description: `luna burst: vLLM port ${this.port}` }));
    const keep = rules.map((r) => ({ protocol: r.protocol, ...(r.port_range ? { port_range: r.port_range } : {}), source_network: r.source_network, description: r.description ?? '' }));
    this.check(await this.opts.http.request('PUT', '/api/v1/firewall-rules', { data: [...keep, ...added] }, signal), 'update firewall rules');
  }

  async listOffers(q: OfferQuery, signal?: AbortSignal): Promise<Offer[]> {
    const reply = this.check(await this.opts.http.request('GET', '/api/v1/instance-types', undefined, signal), 'list instance types');
    const data = (reply.body as { data?: Record<string, LambdaTypeEntry> }).data ?? {};
    const offers: Offer[] = [];
    for (const entry of Object.values(data)) {
      const t = entry.instance_type;
      const gpus = t.specs?.gpus ?? 1;
      if (gpus < q.gpuCount) continue;
      if (q.gpuType && !matchesGpu(q.gpuType, [t.name, t.gpu_description ?? '', t.description ?? ''])) continue;
      const price = t.price_cents_per_hour / 100;
      if (q.maxPricePerHour !== undefined && price > q.maxPricePerHour) continue;
      const regions = entry.regions_with_capacity_available.filter((r) => !this.opts.region || r.name === this.opts.region);
      for (const r of regions) {
        offers.push({
          provider: 'lambda',
          offerId: `${t.name}@${r.name}`,
          gpuType: t.name,
          gpuName: t.gpu_description ?? t.description ?? t.name,
          gpuCount: gpus,
          pricePerHour: price,
          region: r.name,
        });
      }
    }
    return offers.sort((a, b) => a.pricePerHour - b.pricePerHour);
  }

  async launch(spec: LaunchSpec, signal?: AbortSignal): Promise<{ providerInstanceId: string; endpoint: string | null }> {
    if (!this.opts.sshKeyName) {
      throw new ConfigError('Lambda needs an SSH key name to launch an instance', { hint: 'set burst.providers.lambda.sshKeyName to a key from your Lambda account' });
    }
    if (!this.opts.allowedSources?.length) {
      throw new ConfigError(`Lambda instances accept only SSH and ICMP, so port ${this.port} would stay closed`, {
        hint: 'set burst.providers.lambda.allowedSources to the IPv4 CIDRs of the machines running luna (e.g. ["203.0.113.7/32"])',
      });
    }
    await this.ensurePortOpen(signal);
    const [type, region] = spec.offer.offerId.split('@');
    const reply = await this.opts.http.request('POST', '/api/v1/instance-operations/launch', {
      region_name: region,
      instance_type_name: type,
      ssh_key_names: [this.opts.sshKeyName],
      name: spec.name,
      quantity: 1,
      user_data: userData(spec),
    }, signal);
    const body = this.check(reply, 'launch', true).body as { data?: { instance_ids?: string[] } };
    const id = body.data?.instance_ids?.[0];
    if (!id) throw new ProviderError('lambda: launch answered without an instance id', { maybeCreated: true });
    return { providerInstanceId: id, endpoint: null };
  }

  async list(signal?: AbortSignal): Promise<ProviderInstance[]> {
    const reply = this.check(await this.opts.http.request('GET', '/api/v1/instances', undefined, signal), 'list instances');
    const data = (reply.body as { data?: LambdaInstance[] }).data ?? [];
    return data.map((i) => ({
      providerInstanceId: i.id,
      name: i.name ?? '',
      status: STATUS[i.status] ?? 'unknown',
      endpoint: i.ip ? `http://${i.ip}:${this.port}/v1` : null,
      pricePerHour: i.instance_type?.price_cents_per_hour === undefined ? null : i.instance_type.price_cents_per_hour / 100,
      gpuType: i.instance_type?.name ?? null,
      detail: i.status === 'booting' ? 'booting VM' : null,
    }));
  }

  async terminate(providerInstanceId: string, signal?: AbortSignal): Promise<void> {
    const reply = await this.opts.http.request('POST', '/api/v1/instance-operations/terminate', { instance_ids: [providerInstanceId] }, signal);
    const code = (reply.body as LambdaErrorBody | null)?.error?.code ?? '';
    if (reply.status === 404 || code === 'global/object-does-not-exist') return;
    this.check(reply, 'terminate');
  }

  private check(reply: HttpReply, what: string, creating = false): HttpReply {
    if (reply.status >= 200 && reply.status < 300) return reply;
    const err = (reply.body as LambdaErrorBody | null)?.error;
    const code = err?.code ?? null;
    const detail = err ? `${err.message ?? ''}${err.suggestion ? ` (${err.suggestion})` : ''}` : shorten(reply.text);
    if (code === 'instance-operations/launch/insufficient-capacity') {
      throw new ProviderError(`lambda: no capacity for this instance type: ${detail}`, { status: reply.status, code, retryable: true, hint: 'try another --gpu or region, or retry later' });
    }
    if (code === 'global/quota-exceeded') {
      throw new ProviderError(`lambda: quota exceeded: ${detail}`, { status: reply.status, code, hint: 'ask Lambda to raise the account quota, or terminate other instances' });
    }
    if (reply.status >= 500) {
      throw new ProviderError(`lambda: ${what} failed with HTTP ${reply.status}: ${detail}`, { status: reply.status, code, maybeCreated: creating, retryable: true });
    }
    throw new ProviderError(`lambda: ${what} failed with HTTP ${reply.status}${code ? ` ${code}` : ''}: ${detail}`, { status: reply.status, code });
  }
}

/**
 * cloud-init user data: Lambda instances are plain VMs with Docker, so the server starts as a container. The
 * keys go through an --env-file readable by root only, so they are not on any process's command line.
 */
export function userData(spec: LaunchSpec): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const env = Object.entries(instanceEnv(spec)).map(([k, v]) => `${k}=${v}`);
  return [
    '#!/bin/bash',
    'umask 077',
    "cat > /root/luna-vllm.env <<'LUNA_ENV'",
    ...env,
    'LUNA_ENV',
    `docker run -d --gpus all --ipc=host --restart unless-stopped -p ${spec.port}:${spec.port} \\`,
    `  --env-file /root/luna-vllm.env ${q(spec.image)} \\`,
    `  ${vllmArgs(spec).map(q).join(' ')}`,
    '',
  ].join('\n');
}
