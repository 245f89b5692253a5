/**
 * Fake RunPod GraphQL API written from https://docs.runpod.io/sdks/graphql/manage-pods: POST /graphql
 * with `gpuTypes`, `myself { pods }`, `podFindAndDeployOnDemand`, `podTerminate`. Like the real API,
 * failures come back as HTTP 200 with an `errors` array. `/proxy/{podId}/…` plays RunPod's HTTP proxy
 * (`https://{podId}-{port}.proxy.runpod.net`), forwarding to the pod's server.
 */
import { FakeCloud, serve, send, sleep, type FakeCloudOptions, type FakeServer } from './cloud.js';
import { inputError } from './runpod-schema.js';
import { IMAGE_CUDA } from './vast.js';

/**
 * Hosts per GPU type, cheapest first: the cheapest carry a CUDA 12.2 driver, which cannot start an image built
 * on CUDA 12.8. Without minCudaVersion a deploy may land there (dstack always sends minCudaVersion for this).
 */
const HOST_CUDA = [12.2, 12.9];

export const RUNPOD_GPUS = [
  { id: 'NVIDIA GeForce RTX 4090', displayName: 'RTX 4090', memoryInGb: 24, securePrice: 0.69, communityPrice: 0.34, lowest: 0.34 },
  { id: 'NVIDIA RTX A6000', displayName: 'RTX A6000', memoryInGb: 48, securePrice: 0.76, communityPrice: 0.49, lowest: 0.49 },
  { id: 'NVIDIA A100 80GB PCIe', displayName: 'A100 PCIe', memoryInGb: 80, securePrice: 1.64, communityPrice: 1.19, lowest: 1.19 },
  { id: 'NVIDIA H100 80GB HBM3', displayName: 'H100 SXM', memoryInGb: 80, securePrice: 2.99, communityPrice: null, lowest: null },
];

const gqlError = (message: string, path: string, code = 'RUNPOD') => ({ errors: [{ message, path: [path], extensions: { code } }], data: { [path]: null } });

export async function startFakeRunPod(opts: FakeCloudOptions): Promise<FakeServer> {
  const cloud = new FakeCloud(opts);
  const pod = (i: ReturnType<FakeCloud['create']>) => ({
    id: i.id,
    name: i.name,
    desiredStatus: i.providerState ?? (i.status === 'terminated' ? 'TERMINATED' : i.status === 'exited' ? 'EXITED' : 'RUNNING'),
    costPerHr: i.price,
    gpuCount: 1,
    imageName: i.body.imageName,
    machine: { gpuDisplayName: RUNPOD_GPUS.find((g) => g.id === i.gpu)?.displayName ?? i.gpu, podHostId: `${i.id}-64410c1a` },
    runtime: i.status === 'running' ? { uptimeInSeconds: 12, ports: [{ ip: '100.65.0.101', isIpPublic: false, privatePort: 8000, publicPort: 60123, type: 'http' }], gpus: [{ id: 'GPU-1', gpuUtilPercent: 0 }] } : null,
  });
  return serve(cloud, async (req, res, body, path) => {
    const proxied = /^\/proxy\/([^/]+)(\/.*)$/.exec(path);
    if (proxied) {
      const i = cloud.instances.get(proxied[1]!);
      if (!i || i.status !== 'running' || !i.vllm) return send(res, 404, { error: 'pod not running' });
      const headers: Record<string, string> = {};
      if (req.headers.authorization) headers.authorization = req.headers.authorization;
      if (body !== null) headers['content-type'] = 'application/json';
      const up = await fetch(`http://127.0.0.1:${i.vllm.port}${proxied[2]}`, { method: req.method, headers, body: body === null ? undefined : JSON.stringify(body) });
      res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/octet-stream' });
      if (up.body) for await (const chunk of up.body) res.write(chunk);
      res.end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization ?? (url.searchParams.get('api_key') ? `Bearer ${url.searchParams.get('api_key')}` : undefined);
    if (auth !== `Bearer ${opts.apiKey}`) return send(res, 401, { errors: [{ message: 'Unauthorized', extensions: { code: 'UNAUTHENTICATED' } }] });
    if (cloud.limited()) return send(res, 429, { errors: [{ message: 'Too Many Requests' }] }, { 'retry-after': String(opts.rateLimit?.retryAfterS ?? 1) });
    if (req.method !== 'POST' || path !== '/graphql') return send(res, 404, { error: 'not found' });
    const { query, variables } = (body ?? {}) as { query?: string; variables?: Record<string, unknown> };
    const q = query ?? '';
    const op = q.includes('podFindAndDeployOnDemand') || q.includes('podRentInterruptable') ? 'create' : q.includes('podTerminate') ? 'terminate' : q.includes('gpuTypes') ? 'offers' : 'list';
    const fail = cloud.takeFailure(op);
    if (fail === 'rate-limit') return send(res, 429, { errors: [{ message: 'Too Many Requests' }] }, { 'retry-after': '0' });
    if (fail === 'server-error') return send(res, 500, { errors: [{ message: 'Something went wrong. Please try again later or contact support.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    if (op === 'offers') {
      const count = Number(/gpuCount:\s*(\d+)/.exec(q)?.[1] ?? 1);
      const gpuTypes = RUNPOD_GPUS.map((g) => ({
        id: g.id, displayName: g.displayName, memoryInGb: g.memoryInGb, securePrice: g.securePrice, communityPrice: g.communityPrice,
        lowestPrice: { gpuCount: count, uninterruptablePrice: count > 2 ? null : g.lowest, minimumBidPrice: count > 2 || g.lowest === null ? null : Math.round(g.lowest * 50) / 100 },
      }));
      return send(res, 200, { data: { gpuTypes } });
    }
    if (op === 'list') return send(res, 200, { data: { myself: { id: 'user-1', pods: cloud.live().map(pod) } } });
    if (op === 'create') {
      const mutation = q.includes('podRentInterruptable') ? 'podRentInterruptable' : 'podFindAndDeployOnDemand';
      const input = (variables?.input ?? {}) as Record<string, unknown>;
      const bad = inputError(mutation, q, variables?.input);
      if (bad) return send(res, 200, { errors: [{ message: bad, extensions: { code: 'BAD_USER_INPUT' } }] });
      const noStock = () => send(res, 200, gqlError('There are no longer any instances available with the requested specifications. Please refresh and try again.', mutation));
      if (fail === 'capacity') return noStock();
      if (fail === 'quota') return send(res, 200, gqlError('You have insufficient funds to deploy this pod.', mutation));
      const gpu = RUNPOD_GPUS.find((g) => g.id === input.gpuTypeId);
      if (!gpu || gpu.lowest === null) return noStock();
      const minCuda = input.minCudaVersion === undefined || input.minCudaVersion === null ? 0 : Number(input.minCudaVersion);
      const hostCuda = HOST_CUDA.find((c) => c >= minCuda);
      if (hostCuda === undefined) return noStock();
      const bid = mutation === 'podRentInterruptable' ? Number(input.bidPerGpu) : null;
      if (bid !== null && bid < gpu.lowest * 0.5) return send(res, 200, gqlError(`Your bid of $${bid}/hr is below the current minimum bid.`, mutation));
      const hostFailure = hostCuda < IMAGE_CUDA ? `CUDA driver version is insufficient for CUDA runtime version (host CUDA ${hostCuda}, image needs ${IMAGE_CUDA})` : undefined;
      const env = Object.fromEntries(((input.env ?? []) as { key: string; value: string }[]).map((e) => [e.key, e.value]));
      // dockerArgs replaces the image's CMD; the entrypoint (`vllm serve`) stays.
      const args = String(input.dockerArgs ?? '').split(/\s+/).filter(Boolean);
      const price = (bid ?? gpu.lowest) * Number(input.gpuCount ?? 1);
      const i = cloud.createContainer({ id: cloud.nextId('ldl1dxirsim64n'), name: String(input.name ?? ''), gpu: gpu.id, price, body: { ...input, interruptible: bid !== null }, args, env, hostFailure });
      if (opts.createDelayMs) await sleep(opts.createDelayMs);
      if (fail === 'created-then-500') return send(res, 500, { errors: [{ message: 'Something went wrong. Please try again later or contact support.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      return send(res, 200, { data: { [mutation]: { id: i.id, name: i.name, desiredStatus: 'RUNNING', costPerHr: i.price, imageName: input.imageName, machineId: 'm-1' } } });
    }
    // podTerminate(input: PodTerminateInput!): a nullable variable cannot fill a non-null argument.
    if (!/\$input:\s*PodTerminateInput!/.test(q)) return send(res, 200, { errors: [{ message: 'Variable "$input" of type "PodTerminateInput" used in position expecting type "PodTerminateInput!".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
    const podId = String(((variables?.input ?? {}) as { podId?: string }).podId ?? '');
    const gone = await cloud.terminate(podId);
    if (!gone) return send(res, 200, gqlError('Pod not found', 'podTerminate'));
    return send(res, 200, { data: { podTerminate: null } });
  });
}
