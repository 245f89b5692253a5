import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { luna, tempHome } from '../helpers/cli.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';
import { planJson } from '../helpers/pipeline-fixture.js';

/**
 * Steering end to end: the built CLI against a loopback OpenAI-compatible server, asserting what the
 * Strategist and Writer really received (the Author's Note at its depth, the ooc text, continue turns),
 * takes at a middle turn, and prose edits reaching the context.
 */
let home: string;
let server: LoopbackServer;
let deepConfig: string;

beforeAll(async () => {
  home = tempHome('luna-steer-');
  server = await startOpenAIServer();
  server.setDefault({ kind: 'text', chunks: ['The tide ', 'turns.'] });
  writeFileSync(path.join(home, 'luna.yaml'), stringify({
    models: { loop: { provider: 'openai-compatible', baseUrl: server.baseUrl, model: 'loop-1', maxRetries: 0 } },
    agents: { preprocessor: { model: 'loop' }, strategist: { model: 'loop' }, writer: { model: 'loop' }, dreamer: { model: 'loop', inProcess: false } },
  }));
  deepConfig = path.join(home, 'deep.yaml');
  writeFileSync(deepConfig, stringify({ context: { authorNoteDepth: 2 } }));
});
afterAll(async () => {
  await server.close();
});

interface Played {
  turn: { id: string; parentId: string | null; depth: number; action: string; continued: boolean; note: string; ooc: string };
  strategist: string;
  writer: string;
}

async function newStory(title: string): Promise<string> {
  const r = await luna(['story', 'new', '--title', title, '--premise', 'Maren keeps the light', '--json'], { home });
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout).id as string;
}

/** Plays a turn and returns it with the user message the Strategist and the Writer were sent. */
async function play(id: string, ...args: string[]): Promise<Played> {
  server.script({ kind: 'json', value: planJson() });
  const before = server.requests.length;
  const r = await luna(['turn', id, ...args, '--json'], { home });
  expect(r.exitCode, r.stderr).toBe(0);
  const chats = server.requests.slice(before).filter((q) => q.path === '/v1/chat/completions');
  const user = (who: string) => {
    const req = chats.find((q) => String(q.body.messages[0].content).includes(`You are the ${who}`));
    expect(req, `a ${who} request`).toBeDefined();
    return String(req!.body.messages.at(-1).content);
  };
  return { turn: JSON.parse(r.stdout).turn, strategist: user('Strategist'), writer: user('Writer') };
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await luna(args, { home, input });
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout;
}

describe("the Author's Note", () => {
  it('is set, shown and cleared by luna story note, and reaches both models just before the action at depth 1', async () => {
    const id = await newStory('Note');
    await play(id, 'I climb the stair');
    await play(id, 'I light the lamp');
    expect(await ok(['story', 'note', id, 'Keep', 'it', 'eerie;', 'Maren', 'never', 'lies.'])).toBe("author's note set: Keep it eerie; Maren never lies.");
    expect(await ok(['story', 'show', id])).toContain("author's note: Keep it eerie; Maren never lies.");
    expect(JSON.parse(await ok(['story', 'note', id, '--json']))).toEqual({ storyId: id, authorNote: 'Keep it eerie; Maren never lies.' });

    const p = await play(id, 'I open the door');
    const note = "[Author's note: Keep it eerie; Maren never lies.]";
    for (const content of [p.writer, p.strategist]) {
      const at = content.indexOf(note);
      expect(at, content).toBeGreaterThan(content.lastIndexOf('[turn 2]'));
      // Depth 1: nothing but its heading's end lies between the note and the player's action.
      expect(content.slice(at + note.length).trimStart().startsWith('## Player action\nI open the door')).toBe(true);
    }

    const ctx = await ok(['context', id, '--action', 'I wait']);
    expect(ctx).toContain("author's note (context.authorNoteDepth 1): just before the player action");
    expect(ctx).toContain(note);

    expect(await ok(['story', 'note', id, '--clear'])).toBe("author's note cleared");
    const after = await play(id, 'I wait');
    expect(after.writer).not.toContain("Author's note");
  });

  it('sits before the latest turn at context.authorNoteDepth 2', async () => {
    const id = await newStory('Deep note');
    await play(id, 'I climb the stair');
    await play(id, 'I light the lamp');
    await ok(['story', 'note', id, 'Rain never stops.']);
    server.script({ kind: 'json', value: planJson() });
    const before = server.requests.length;
    const r = await luna(['--config', deepConfig, 'turn', id, 'I listen', '--json'], { home });
    expect(r.exitCode, r.stderr).toBe(0);
    const writer = server.requests.slice(before).map((q) => String(q.body?.messages?.at(-1)?.content ?? '')).find((c) => c.includes('Write the passage'))!;
    const at = writer.indexOf("[Author's note: Rain never stops.]");
    expect(at).toBeGreaterThan(writer.indexOf('[turn 1]'));
    expect(at).toBeLessThan(writer.indexOf('[turn 2]'));
    const ctx = await luna(['--config', deepConfig, 'context', id, '--json'], { home });
    expect(JSON.parse(ctx.stdout).authorNote).toMatchObject({ depth: 2, placement: 'before turn 3', included: true });
  });

  it('--note applies to its turn only and is kept with it', async () => {
    const id = await newStory('Turn note');
    const p = await play(id, 'I climb the stair', '--note', 'describe the smell of salt');
    expect(p.writer).toContain('[Note for this turn: describe the smell of salt]');
    expect(p.turn.note).toBe('describe the smell of salt');
    const next = await play(id, 'I light the lamp');
    expect(next.writer).not.toContain('Note for this turn');
    expect(await ok(['story', 'show', id])).toContain('  note: describe the smell of salt');
  });
});

describe('--ooc and --continue', () => {
  it('gives the out-of-character instruction to the Strategist only, and records it with the turn', async () => {
    const id = await newStory('OOC');
    const p = await play(id, 'I climb the stair', '--ooc', 'bring in the ferryman soon');
    expect(p.strategist).toContain('## Out-of-character instruction (for the plan; not an event in the story)\nbring in the ferryman soon');
    expect(p.strategist).toContain('## Player action\nI climb the stair');
    expect(p.writer).not.toContain('ferryman');
    expect(p.turn).toMatchObject({ action: 'I climb the stair', ooc: 'bring in the ferryman soon', continued: false });
    // Alone, an ooc instruction lets the story go on, steered.
    const alone = await play(id, '--ooc', 'a storm should break');
    expect(alone.turn).toMatchObject({ action: '', continued: true, ooc: 'a storm should break' });
    expect(alone.strategist).toContain('a storm should break');
  });

  it('--continue plays a turn without an action; the models are told the story goes on', async () => {
    const id = await newStory('Continue');
    await play(id, 'I climb the stair');
    const p = await play(id, '--continue');
    expect(p.turn).toMatchObject({ action: '', continued: true, depth: 2 });
    expect(p.writer).toContain('## Player action\n(none: the player asks the story to go on from where it stands)');
    const next = await play(id, 'I look around');
    expect(next.writer).toContain('[turn 2] (the story goes on)');
    expect(await ok(['story', 'show', id])).toContain('(continued)');
  });

  it('refuses mixed or misplaced flags with one line and a hint, before any model call', async () => {
    const id = await newStory('Flags');
    const before = server.requests.length;
    for (const [args, msg] of [
      [['--continue', 'I jump'], /--continue takes no action/],
      [['--text', 'x'], /--text goes with --edit/],
      [['--at', 'abcd'], /--at goes with --retry, --takes or --take/],
      [['--undo', '--note', 'x'], /--note only go with playing a turn/],
      [['--retry', '--continue'], /use only one of --retry, --continue/],
    ] as const) {
      const r = await luna(['turn', id, ...args], { home });
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).toMatch(/^hint: /m);
    }
    const empty = await luna(['story', 'note', id, '  '], { home });
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toContain("the author's note is empty");
    expect(server.requests.length).toBe(before);
  });
});

describe('takes (swipes) on any turn', () => {
  it('--retry --at a middle turn makes a sibling take; --takes lists them; --take switches back to the old line', async () => {
    const id = await newStory('Takes');
    const t1 = (await play(id, 'I climb the stair')).turn;
    const t2 = (await play(id, 'I light the lamp', '--note', 'slowly')).turn;
    const t3 = (await play(id, 'I open the door')).turn;

    const retake = await play(id, '--retry', '--at', t2.id.slice(0, 8));
    expect(retake.turn).toMatchObject({ parentId: t1.id, depth: 2, action: 'I light the lamp', note: 'slowly' });
    expect(retake.writer).toContain('## Player action\nI light the lamp');
    // The retake was written after turn 1: turn 3 of the old line is not in its context.
    expect(retake.writer).not.toContain('I open the door');

    const listed = JSON.parse(await ok(['turn', id, '--takes', '--at', t2.id, '--json']));
    expect(listed.takes.map((t: { turnId: string; current: boolean; after: number }) => [t.turnId, t.current, t.after])).toEqual([[t2.id, false, 1], [retake.turn.id, true, 0]]);
    const text = await ok(['turn', id, '--takes', '--at', t2.id]);
    expect(text).toMatch(/^turn 2: 2 takes/);
    expect(text).toMatch(new RegExp(`^\\*  2\\. ${retake.turn.id}`, 'm'));

    const back = JSON.parse(await ok(['turn', id, '--take', '1', '--at', retake.turn.id, '--json']));
    expect(back).toMatchObject({ headTurnId: t3.id, depth: 3, take: { n: 1, turnId: t2.id } });
    expect(JSON.parse(await ok(['story', 'show', id, '--json'])).story.headTurnId).toBe(t3.id);

    const bad = await luna(['turn', id, '--take', '5', '--at', t2.id], { home });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('there is no take 5: this turn has 2 takes');
    // A number is the turn's position on the current branch, as story show prints it ([3] after switching back).
    expect(JSON.parse(await ok(['turn', id, '--takes', '--at', '2', '--json'])).takes.map((t: { turnId: string }) => t.turnId)).toEqual([t2.id, retake.turn.id]);
    const beyond = await luna(['turn', id, '--takes', '--at', '9'], { home });
    expect([beyond.exitCode, beyond.stderr.split('\n')[0]]).toEqual([4, 'luna: no turn 9 on the current branch (it has 3)']);
  });
});

describe('editing a turn', () => {
  it('replaces the prose (from --text or stdin); the context and search show the new prose', async () => {
    const id = await newStory('Edit');
    await play(id, 'I climb the stair');
    const t2 = (await play(id, 'I light the lamp')).turn;
    await play(id, 'I open the door');

    const edited = JSON.parse(await ok(['turn', id, '--edit', t2.id.slice(0, 8), '--text', 'The lamp flares green; a heron cries below.', '--json']));
    expect(edited.turn).toMatchObject({ id: t2.id, prose: 'The lamp flares green; a heron cries below.' });
    expect(edited.turn.editedAt).toEqual(expect.any(String));
    // extract-facts is on by default: the new prose is queued to be read again.
    expect(edited).toMatchObject({ factsForgotten: expect.any(Number), factsRereadQueued: true });
    const ctx = await ok(['context', id, '--action', 'I follow the heron', '--full']);
    expect(ctx).toContain('[turn 2] > I light the lamp\nThe lamp flares green; a heron cries below.');

    // The same prose again writes and queues nothing (no second picture to pay for).
    await ok(['turn', id, '--edit', '1', '--text', 'Stone steps wind up into the dark.']);
    const same = JSON.parse(await ok(['turn', id, '--edit', '1', '--text', '  Stone steps wind up into the dark.\n', '--json']));
    expect(same).toMatchObject({ unchanged: true, factsForgotten: 0, factsRereadQueued: false });
    expect(await ok(['turn', id, '--edit', '1', '--text', 'Stone steps wind up into the dark.'])).toMatch(/^turn 1 \(\w+\) unchanged: the new prose is the same/);
    const piped = await ok(['turn', id, '--edit'], 'Maren shuts the door on the wind.\n');
    expect(piped).toMatch(/^turn 3 \(\w+\) edited: \d+ → 33 characters$/m);
    const show = await ok(['story', 'show', id]);
    expect(show).toContain('Maren shuts the door on the wind.');
    expect(show).toMatch(/\[3\] \w+ {2}\(edited\)/);

    const empty = await luna(['turn', id, '--edit', '--text', '   '], { home });
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toContain('the new prose is empty');
  });
});
