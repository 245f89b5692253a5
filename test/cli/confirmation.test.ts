import { afterEach, describe, expect, it } from 'vitest';
import { BIN, luna, tempHome } from '../helpers/cli.js';
import { waitFor } from '../tui/helpers.js';
import { killSession, tmux } from '../helpers/tmux.js';

const sessions: string[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) killSession(s);
});

async function newStory(home: string): Promise<string> {
  const r = await luna(['--json', 'story', 'new', '-t', 'Keep me', '-p', 'p'], { home });
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout).id as string;
}

describe('every command that deletes, overwrites or costs asks the same way', () => {
  it('without a terminal and without --yes: exit 2, naming --yes, nothing deleted', async () => {
    const home = tempHome('luna-confirm-');
    const id = await newStory(home);
    const r = await luna(['story', 'delete', id], { home });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^luna: refusing to delete "Keep me" without confirmation$/m);
    expect(r.stderr).toMatch(/^hint: pass --yes to confirm non-interactively$/m);
    expect((await luna(['story', 'show', id], { home })).exitCode).toBe(0);
  });

  it('"n" at the prompt is cancelled (exit 130) with what was kept; "y" deletes', async () => {
    const home = tempHome('luna-confirm-');
    const id = await newStory(home);
    const name = `luna-confirm-${process.pid}-${Date.now()}`;
    sessions.push(name);
    tmux('new-session', '-d', '-s', name, '-x', '160', '-y', '20', `env LUNA_HOME=${home} node ${BIN} story delete ${id}; echo "[exit $?]"; sleep 60`);
    const screen = () => tmux('capture-pane', '-J', '-p', '-t', name);
    await waitFor(() => screen().includes('[y/N]'), 'the question', 20_000);
    tmux('send-keys', '-t', name, 'n', 'Enter');
    await waitFor(() => screen().includes('[exit'), 'the exit', 20_000);
    expect(screen()).toContain('luna: kept "Keep me": nothing deleted');
    expect(screen()).toContain('[exit 130]');
    expect((await luna(['story', 'show', id], { home })).exitCode).toBe(0);

    expect((await luna(['story', 'delete', id, '--yes'], { home })).exitCode).toBe(0);
    expect((await luna(['story', 'show', id], { home })).exitCode).toBe(4);
  }, 60_000);
});
