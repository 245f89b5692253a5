import { createServer, type Server, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { redactSecrets } from '../../src/errors.js';
import { luna, tempHome } from '../helpers/cli.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';

describe('redactSecrets eats the secret and keeps the sentence', () => {
  it.each([
    ['password authentication failed for user "postgres"', 'password authentication failed for user "postgres"'],
    ['invalid_api_key: Incorrect API key provided: sk-proj-abcdefghijklmnop1234.', 'invalid_api_key: Incorrect API key provided: sk-proj-a….'],
    ['Incorrect API key provided: Bearer sk-abcdefghijklmnop', 'Incorrect API key provided: Bearer sk-abcdef…'],
    ['max_tokens: 100 is over the limit', 'max_tokens: 100 is over the limit'],
    ['token limit reached', 'token limit reached'],
    ['data dir /etc/passwd/sub: /etc/passwd is a file, not a folder', 'data dir /etc/passwd/sub: /etc/passwd is a file, not a folder'],
    ['cannot read ~/keys/api_key: permission denied', 'cannot read ~/keys/api_key: permission denied'],
  ])('%s', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it.each([
    ['PGPASSWORD=hunter2 pg_dump', 'hunter2'],
    ['password=hunter2 host=db', 'hunter2'],
    ['{"api_key": "abc123xyz"}', 'abc123xyz'],
    ['token: ghp_abcdef123456', 'ghp_abcdef123456'],
    ['GITHUB_TOKEN=ghp_1234567890abcdef', 'ghp_1234567890abcdef'],
    ['Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload', 'eyJhbGciOiJIUzI1NiJ9'],
    ['DB_PASSWORD: Summer', 'Summer'],
    ['connect postgres://luna:s3cret@db/luna failed', 's3cret'],
    ['request to http://u:SekritPw99@127.0.0.1:1/v1/models failed', 'SekritPw99'],
    ['bucket s3://AKIAQATESTKEY:SuperSecretQAValue@luna-images/prod', 'SuperSecretQAValue'],
    ['redis://default:hunter2@cache:6379/0 refused', 'hunter2'],
    ['key sk-abcdefghijklmnopqrstuvwxyz', 'ghijklmnop'],
  ])('still hides the secret in %s', (input, secret) => {
    expect(redactSecrets(input)).not.toContain(secret);
  });
});

describe('a password in a configured URL never reaches the screen', () => {
  it.each([
    ['a model\'s baseUrl', { models: { fake: { provider: 'openai-compatible', baseUrl: 'http://u:SekritPw99@127.0.0.1:1/v1', model: 'x' } } }, 'models.fake.baseUrl'],
    ['the ComfyUI url', { agents: { dreamer: { comfyui: { url: 'http://u:SekritPw99@127.0.0.1:1/', workflow: 'w.json', promptText: 'PROMPT' } } } }, 'agents.dreamer.comfyui.url'],
    ['the image bucket\'s endpoint', { agents: { dreamer: { comfyui: { url: 'http://127.0.0.1:1/', workflow: 'w.json', imagesStore: { url: 's3://luna-images/prod', endpoint: 'http://AKIAQATESTKEY:SekritPw99ValueLongerThanForty@127.0.0.1:9' } } } } }, 'imagesStore.endpoint'],
  ])('%s with user:password is refused, the password left out of the message', async (_what, config, where) => {
    const home = tempHome();
    writeFileSync(path.join(home, 'luna.yaml'), stringify(config));
    writeFileSync(path.join(home, 'w.json'), '{}');
    for (const args of [['story', 'list'], ['doctor']]) {
      const r = await luna(args, { home });
      expect(r.exitCode, r.stderr).not.toBe(0);
      expect(r.stderr + r.stdout).toContain(where);
      expect(r.stderr + r.stdout).not.toContain('SekritPw99');
    }
  });
});

describe('OpenAI rejecting the key', () => {
  let server: LoopbackServer;
  beforeAll(async () => {
    server = await startOpenAIServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('reads "Incorrect API key provided", the key cut to its prefix, with a hint', async () => {
    const home = tempHome();
    writeFileSync(path.join(home, 'luna.yaml'), stringify({
      models: { loop: { provider: 'openai-compatible', baseUrl: server.baseUrl, model: 'm', maxRetries: 0, apiKeyEnv: 'LOOP_KEY' } },
      agents: { preprocessor: { model: 'loop' }, strategist: { model: 'loop' }, writer: { model: 'loop' }, dreamer: { model: 'loop', inProcess: false } },
    }));
    const id = JSON.parse((await luna(['story', 'new', '-t', 'K', '-p', 'p', '--json'], { home })).stdout).id;
    const key = 'sk-proj-abcdefghijklmnopqrstuvwx0123';
    server.script({ kind: 'error', status: 401, type: 'invalid_request_error', code: 'invalid_api_key', message: `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys.` });
    const r = await luna(['turn', id, 'go'], { home, env: { LOOP_KEY: key } });
    expect(r.exitCode, r.stderr).toBe(7);
    expect(r.stderr).toContain('invalid_api_key: Incorrect API key provided: sk-proj-a…. You can find your API key');
    expect(r.stderr).toMatch(/^hint: check the API key/m);
    expect(r.stderr + r.stdout).not.toContain(key.slice(10));
  });
});

/**
 * A PostgreSQL server that refuses every login as the real one does with a wrong password: it asks for a
 * cleartext password, then answers ErrorResponse 28P01. Speaks the v3 wire protocol (SSL/GSS requests
 * declined), enough for node-postgres and pg_dump.
 */
function refusingPostgres(): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((socket: Socket) => {
    let buf = Buffer.alloc(0);
    let started = false;
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (!started) {
          if (buf.length < 8) return;
          const len = buf.readInt32BE(0);
          if (buf.length < len) return;
          const code = buf.readInt32BE(4);
          buf = buf.subarray(len);
          if (code === 80877103 || code === 80877104) {
            socket.write('N'); // no SSL, no GSS encryption
            continue;
          }
          started = true;
          const auth = Buffer.alloc(9);
          auth.write('R', 0);
          auth.writeInt32BE(8, 1);
          auth.writeInt32BE(3, 5); // AuthenticationCleartextPassword
          socket.write(auth);
          continue;
        }
        if (buf.length < 5) return;
        const len = buf.readInt32BE(1);
        if (buf.length < len + 1) return;
        buf = buf.subarray(len + 1);
        const fields = ['SFATAL', 'VFATAL', 'C28P01', 'Mpassword authentication failed for user "postgres"', 'Rauth_failed'];
        const body = Buffer.concat([...fields.map((f) => Buffer.from(`${f}\0`)), Buffer.from([0])]);
        const head = Buffer.alloc(5);
        head.write('E', 0);
        head.writeInt32BE(body.length + 4, 1);
        socket.end(Buffer.concat([head, body]));
        return;
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port;
    resolve({ port, close: () => new Promise<void>((r) => server.close(() => r())) });
  }));
}

describe('PostgreSQL refusing the password', () => {
  let pg: Awaited<ReturnType<typeof refusingPostgres>>;
  beforeAll(async () => {
    pg = await refusingPostgres();
  });
  afterAll(async () => {
    await pg.close();
  });

  it('keeps PostgreSQL\'s words, hides the password and says where to fix it (exit 5)', async () => {
    const url = `postgres://postgres:hunter2secret@127.0.0.1:${pg.port}/luna`;
    for (const args of [['story', 'list'], ['migrate', 'status'], ['db', 'backup', path.join(tempHome(), 'b.dump')]]) {
      const r = await luna(['--database-url', url, ...args], { home: tempHome() });
      expect(r.exitCode, `${args[0]}: ${r.stderr}`).toBe(5);
      expect(r.stderr).toContain('password authentication failed for user "postgres"');
      expect(r.stderr).toMatch(/^hint: check the password in the database URL .* or set PGPASSWORD/m);
      expect(r.stderr).not.toContain('hunter2secret');
    }
  });

  it('a URL that does not parse is a config error (exit 3), not "a bug in luna"', async () => {
    const r = await luna(['--database-url', 'postgres://[bad', 'story', 'list'], { home: tempHome() });
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^luna: database\.url is not a valid URL: "postgres:\/\/\[bad"$/m);
    expect(r.stderr).toMatch(/^hint: use postgres:\/\/USER:PASSWORD@HOST:5432\/DB/m);
  });
});
