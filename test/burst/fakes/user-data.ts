/**
 * Reads a cloud-init shell script the way the instance would run it, far enough to know what container it
 * starts: heredoc files (`cat > F <<'TAG' … TAG`), and the `docker run` command line with its `-e` and
 * `--env-file` environment, image and the arguments the image's entrypoint receives.
 */

/** POSIX-ish word splitting: single quotes (with the '\'' idiom), double quotes, backslash-newline joins. */
export function shellWords(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      cur += line.slice(i + 1, end < 0 ? undefined : end);
      has = true;
      i = end < 0 ? line.length : end;
    } else if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') { if (line[j] === '\\') j++; cur += line[j] ?? ''; j++; }
      has = true;
      i = j;
    } else if (c === '\\') {
      cur += line[i + 1] ?? '';
      has = true;
      i++;
    } else if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}

/** docker run options that take a value as the next word (https://docs.docker.com/reference/cli/docker/container/run/). */
const VALUE_OPTS = new Set(['-e', '--env', '--env-file', '-p', '--publish', '--restart', '--gpus', '--name', '-v', '--volume', '--ipc', '--shm-size', '--log-opt']);

export interface DockerRun {
  image: string;
  args: string[];
  env: Record<string, string>;
  publish: string[];
}

export function parseUserData(script: string): DockerRun | null {
  const files = new Map<string, string>();
  const lines = script.replace(/\\\n/g, ' ').split('\n');
  let run: string[] | null = null;
  for (let i = 0; i < lines.length; i++) {
    const here = /^\s*cat\s+>\s*(\S+)\s*<<-?\s*'?(\w+)'?\s*$/.exec(lines[i]!);
    if (here) {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i]!.trim() !== here[2]; i++) body.push(lines[i]!);
      files.set(here[1]!, body.join('\n'));
      continue;
    }
    const words = shellWords(lines[i]!);
    if (words[0] === 'docker' && words[1] === 'run') run = words.slice(2);
  }
  if (!run) return null;
  const env: Record<string, string> = {};
  const publish: string[] = [];
  const setEnv = (kv: string) => { const at = kv.indexOf('='); if (at > 0) env[kv.slice(0, at)] = kv.slice(at + 1); };
  let k = 0;
  for (; k < run.length && run[k]!.startsWith('-'); k++) {
    const w = run[k]!;
    const [flag, inline] = w.includes('=') && w.startsWith('--') ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] : [w, undefined];
    const value = inline ?? (VALUE_OPTS.has(flag) ? run[++k] : undefined);
    if (flag === '-e' || flag === '--env') setEnv(value ?? '');
    if (flag === '--env-file') for (const l of (files.get(value ?? '') ?? '').split('\n')) if (l && !l.startsWith('#')) setEnv(l);
    if (flag === '-p' || flag === '--publish') publish.push(value ?? '');
  }
  return { image: run[k] ?? '', args: run.slice(k + 1), env, publish };
}
