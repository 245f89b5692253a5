/**
 * A loopback ComfyUI speaking its real protocol (server.py / execution.py): POST /prompt answers
 * {prompt_id, number, node_errors} or 400 {error, node_errors}; the run's messages go to the client's
 * websocket (/ws?clientId=…): status, execution_start, executing, progress, executed, execution_success or
 * execution_error, and finally `executing` with node null, sent after the /history/{id} entry exists (as
 * ComfyUI's prompt worker does). GET /view returns real PNG bytes. POST /queue and /interrupt are recorded.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { deflateSync } from 'node:zlib';
import { crc32 } from '../../src/cards/crc32.js';
import { listenOnLoopback } from './listen.js';

export type ComfyMode = 'ok' | 'never' | 'exec-error';

export interface FakeComfyOptions {
  /** How runs end: ok, never (accepted, never finishes), exec-error (execution_error on node 3). */
  mode?: ComfyMode;
  /** Refuse every prompt with 400 and this node_errors body. */
  refuse?: boolean;
  /** Answer this many submissions with 503 before accepting. */
  unavailable?: number;
  /** Refuse websocket upgrades (a proxy that drops them): the client must poll /history. */
  noWebsocket?: boolean;
  /** Saved images per run (node 9); a temp preview (node 12) is always listed too. */
  images?: number;
  /** GPU time the run reports through its execution_start/execution_success timestamps. */
  gpuMs?: number;
  width?: number;
  height?: number;
}

export interface FakeComfy {
  url: string;
  bodies: any[];
  requests: string[];
  /** Websocket connections accepted, by clientId. */
  wsClients: string[];
  set(opts: Partial<FakeComfyOptions>): void;
  close(): Promise<void>;
}

/** A real, decodable RGB PNG (filter byte 0 per row, one IDAT). */
export function makePng(width: number, height: number, rgb: [number, number, number] = [200, 120, 40]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const t = Buffer.from(type, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(t, data));
    return Buffer.concat([len, t, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** A server-to-client text frame (RFC 6455: FIN + opcode 1, unmasked). */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x81, n]) : n < 65536 ? Buffer.from([0x81, 126, n >> 8, n & 255]) : (() => {
    const b = Buffer.alloc(10);
    b[0] = 0x81;
    b[1] = 127;
    b.writeBigUInt64BE(BigInt(n), 2);
    return b;
  })();
  return Buffer.concat([head, payload]);
}

export async function startFakeComfy(initial: FakeComfyOptions = {}): Promise<FakeComfy> {
  let opts: FakeComfyOptions = { ...initial };
  const bodies: any[] = [];
  const requests: string[] = [];
  const wsClients: string[] = [];
  const sockets = new Map<string, Socket>();
  const history = new Map<string, unknown>();
  const files = new Map<string, Buffer>();
  const timers = new Set<NodeJS.Timeout>();
  let counter = 0;
  let fileNo = 0;

  const send = (clientId: string | undefined, type: string, data: Record<string, unknown>) => {
    const s = clientId ? sockets.get(clientId) : undefined;
    if (s && !s.destroyed) s.write(textFrame(JSON.stringify({ type, data })));
  };
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => (timers.delete(t), fn()), ms);
    timers.add(t);
  };

  const run = (id: string, clientId: string | undefined) => {
    const mode = opts.mode ?? 'ok';
    const start = Date.now();
    send(clientId, 'execution_start', { prompt_id: id, timestamp: start });
    send(clientId, 'execution_cached', { nodes: [], prompt_id: id, timestamp: start });
    send(clientId, 'executing', { node: '3', display_node: '3', prompt_id: id });
    if (mode === 'never') return; // stays "running" for ever: no history entry, no final message
    later(30, () => {
      send(clientId, 'progress', { value: 20, max: 20, prompt_id: id, node: '3' });
      const end = start + (opts.gpuMs ?? 2500);
      if (mode === 'exec-error') {
        const err = { prompt_id: id, node_id: '3', node_type: 'KSampler', executed: [], exception_message: 'CUDA out of memory. Tried to allocate 2.00 GiB', exception_type: 'torch.OutOfMemoryError', traceback: [], current_inputs: {}, current_outputs: {}, timestamp: end };
        send(clientId, 'execution_error', err);
        history.set(id, { prompt: [], outputs: {}, status: { status_str: 'error', completed: false, messages: [['execution_start', { prompt_id: id, timestamp: start }], ['execution_error', err]] }, meta: {} });
      } else {
        const saved = Array.from({ length: opts.images ?? 1 }, () => {
          const filename = `LUNA_${String(++fileNo).padStart(5, '0')}_.png`;
          files.set(`output/luna/${filename}`, makePng(opts.width ?? 8, opts.height ?? 6, [fileNo * 40 % 256, 90, 160]));
          return { filename, subfolder: 'luna', type: 'output' };
        });
        files.set('temp/preview.png', makePng(2, 2));
        const outputs = { '9': { images: saved }, '12': { images: [{ filename: 'preview.png', subfolder: '', type: 'temp' }] } };
        send(clientId, 'executing', { node: '9', display_node: '9', prompt_id: id });
        send(clientId, 'executed', { node: '9', display_node: '9', output: outputs['9'], prompt_id: id });
        send(clientId, 'execution_success', { prompt_id: id, timestamp: end });
        history.set(id, { prompt: [], outputs, status: { status_str: 'success', completed: true, messages: [['execution_start', { prompt_id: id, timestamp: start }], ['execution_cached', { nodes: [], prompt_id: id, timestamp: start }], ['execution_success', { prompt_id: id, timestamp: end }]] }, meta: { '9': { node_id: '9', display_node: '9' } } });
      }
      // ComfyUI's prompt worker writes the history (task_done) before this last message.
      send(clientId, 'executing', { node: null, prompt_id: id });
    });
  };

  const json = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      requests.push(`${req.method} ${u.pathname}`);
      if (req.method === 'POST' && u.pathname === '/prompt') {
        const body = JSON.parse(raw);
        bodies.push(body);
        if (opts.unavailable && opts.unavailable > 0) {
          opts.unavailable--;
          return json(res, 503, { error: 'server busy' });
        }
        if (opts.refuse || typeof body.prompt !== 'object') {
          return json(res, 400, {
            error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: '', extra_info: {} },
            node_errors: { '6': { errors: [{ type: 'required_input_missing', message: 'Required input is missing', details: 'clip', extra_info: { input_name: 'clip' } }], dependent_outputs: ['9'], class_type: 'CLIPTextEncode' } },
          });
        }
        const id = randomUUID();
        json(res, 200, { prompt_id: id, number: counter++, node_errors: {} });
        later(20, () => run(id, body.client_id));
        return;
      }
      if (req.method === 'GET' && u.pathname.startsWith('/history/')) {
        const id = decodeURIComponent(u.pathname.slice('/history/'.length));
        return json(res, 200, history.has(id) ? { [id]: history.get(id) } : {});
      }
      if (req.method === 'GET' && u.pathname === '/view') {
        const key = `${u.searchParams.get('type') ?? 'output'}/${u.searchParams.get('subfolder') ? `${u.searchParams.get('subfolder')}/` : ''}${u.searchParams.get('filename')}`;
        const file = files.get(key);
        if (!file) return res.writeHead(404).end();
        return res.writeHead(200, { 'content-type': 'image/png', 'content-length': file.length }).end(file);
      }
      if (req.method === 'POST' && (u.pathname === '/queue' || u.pathname === '/interrupt')) return json(res, 200, {});
      if (req.method === 'GET' && u.pathname === '/system_stats') {
        return json(res, 200, { system: { os: 'posix', python_version: '3.12.3', embedded_python: false, comfyui_version: '0.3.40', pytorch_version: '2.7.0+cu128', argv: ['main.py'], ram_total: 67108864000, ram_free: 50000000000 },
          devices: [{ name: 'cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync', type: 'cuda', index: 0, vram_total: 25393692672, vram_free: 24000000000, torch_vram_total: 0, torch_vram_free: 0 }] });
      }
      res.writeHead(404).end('404: Not Found');
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const key = req.headers['sec-websocket-key'];
    if (opts.noWebsocket || u.pathname !== '/ws' || typeof key !== 'string') return void socket.destroy();
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    const clientId = u.searchParams.get('clientId') ?? randomUUID();
    sockets.set(clientId, socket);
    wsClients.push(clientId);
    socket.on('error', () => undefined);
    // Client frames are masked pings/closes; a close frame (opcode 8) is answered and the socket ended.
    socket.on('data', (d: Buffer) => {
      if ((d[0]! & 0x0f) === 8 && !socket.destroyed) socket.end(Buffer.from([0x88, 0]));
    });
    socket.on('close', () => sockets.delete(clientId));
    socket.write(textFrame(JSON.stringify({ type: 'status', data: { status: { exec_info: { queue_remaining: 0 } }, sid: clientId } })));
  });
  const { port, close } = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    requests,
    wsClients,
    set: (o) => { opts = { ...opts, ...o }; },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets.values()) s.destroy();
      await close();
    },
  };
}
