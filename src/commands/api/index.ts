import type { Command } from 'commander';
import { globalOptions } from '../../cli/context.js';

export function registerApi(program: Command): void {
  const api = program.command('api').description('the HTTP service: stories, turns over SSE, an OpenAI-compatible facade (docs/api.md)');
  api
    .command('serve')
    .description('run the API server in the foreground (JSON access logs on stdout; SIGTERM stops it gracefully)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', '8787')
    .option('--max-in-flight <n>', 'turns admitted at once (running or waiting); more get 503 with Retry-After', '32')
    .option('--max-concurrent <n>', 'turns running on the models at once; the rest wait by tier priority (cost.tiers.X.priority) or degrade (cost.tiers.X.degrade)', '32')
    .option('--rate-limit <n>', 'requests per API key per minute; more get 429 with Retry-After', '600')
    .option('--body-limit <bytes>', 'largest request body (story imports: 32 MiB)', String(256 * 1024))
    .option('--shutdown-deadline <ms>', 'on SIGTERM, how long running turns may finish before they are cancelled', '10000')
    .option('--no-dream', 'leave Dreamer jobs to `luna dream` workers')
    .option('--detach', 'run in the background (log: <home>/api/api.log); returns once it listens', false)
    .action(async (opts, cmd: Command) => (await import('./serve.js')).run(opts, globalOptions(cmd)));
  api
    .command('status')
    .description('the luna api processes running from this home: pid, URL, uptime, log')
    .action(async (_opts, cmd: Command) => (await import('./status.js')).run(globalOptions(cmd)));
  api
    .command('stop')
    .description('stop luna api processes gracefully (running turns get their shutdown deadline)')
    .argument('[pid]', 'the process to stop (default: all of this home\'s)')
    .option('--wait <ms>', 'how long to wait for each to exit', '20000')
    .action(async (pid: string | undefined, opts: { wait: string }, cmd: Command) => (await import('./stop.js')).run(pid, opts, globalOptions(cmd)));
}
