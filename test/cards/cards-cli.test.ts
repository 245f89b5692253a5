import { execa } from 'execa';
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { luna, tempHome } from '../helpers/cli.js';
import { b64json, chunk, chunksOf, fromB64json, SIGNATURE, textOf, tinyPng, V2_CARD } from './png-fixture.js';

/** Character cards in and out through the CLI, with fixtures made byte for byte in the real formats. */
let home: string;
const put = (name: string, data: Buffer | string) => {
  const p = path.join(home, name);
  writeFileSync(p, data);
  return p;
};
const json = (r: { stdout: string }) => JSON.parse(r.stdout);

beforeAll(() => {
  home = tempHome('luna-cards-');
});

describe('character cards', () => {
  it('a V2 PNG card becomes a story, and exports back as a V3 PNG SillyTavern reads, fields and picture intact', async () => {
    const png = tinyPng({ chara: b64json(V2_CARD) });
    const imp = await luna(['story', 'import', put('maren.png', png), '--json'], { home });
    expect(imp.exitCode, imp.stderr).toBe(0);
    const r = json(imp);
    expect(r).toMatchObject({ spec: 'chara_card_v2', source: 'png', greetings: 3, lore: 2, tags: ['lighthouse', 'slow burn', 'female'], image: true });
    expect(r.notes).toContain("system_prompt kept with the story for export; LUNA's agents use their own prompts");
    const id = r.story.id as string;
    // Macros are resolved for the models: {{char}} is the name, {{user}} the player ("you").
    expect(r.story).toMatchObject({ title: 'Maren Vale', premise: 'you washes up on the rocks below the lighthouse during a storm.' });

    const show = await luna(['story', 'show', id], { home });
    expect(show.stdout).toContain('from a character card (V2, with its picture); tags: lighthouse, slow burn, female');
    expect(show.stdout).toContain('[1] ');
    const bundle = json(await luna(['story', 'export', id], { home }));
    expect(bundle.entities).toEqual([expect.objectContaining({ name: 'Maren Vale', kind: 'character', description: 'Maren Vale keeps the Harbour light. She distrusts strangers.\n\nPersonality: stubborn, kind, dry humour' })]);
    expect(bundle.turns).toEqual([{ action: '', prose: '*Maren Vale lifts the lamp.* Who are you, and why are you on my rocks?' }]);
    expect(bundle.branches).toHaveLength(2);
    expect(bundle.style).toBe('<START>\nyou: Hello?\nMaren Vale: Keep your voice down. The sea listens.');
    expect(bundle.lore[0]).toMatchObject({ title: 'Chapel', keywords: ['chapel'], secondaryKeys: ['bell', 'tide'], logic: 'and-all', position: 'after', order: 5, priority: 10, comment: 'old lore' });

    const out = path.join(home, 'out.png');
    const exp = await luna(['story', 'export', id, '--format', 'card', '-o', out], { home });
    expect(exp.exitCode, exp.stderr).toBe(0);
    const written = readFileSync(out);
    const chunks = chunksOf(written); // every CRC checked with zlib's CRC-32
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'tEXt', 'tEXt', 'IEND']);
    // The picture is the card's own, byte for byte.
    expect(chunks[1]!.data.equals(chunksOf(png)[1]!.data)).toBe(true);
    const t = textOf(written);
    const v3 = fromB64json(t.ccv3!);
    const v2 = fromB64json(t.chara!);
    expect(v3.spec).toBe('chara_card_v3');
    expect(v3.spec_version).toBe('3.0');
    expect(v2.spec).toBe('chara_card_v2');
    const { character_book: _b, ...plain } = V2_CARD.data;
    // Unchanged fields go back as the card had them, macros and all.
    expect(v3.data).toMatchObject(plain);
    expect(v3.data.group_only_greetings).toEqual([]);
    expect(v3.data.character_book.entries[0]).toMatchObject({ keys: ['chapel'], content: 'The drowned chapel rings at low tide.', name: 'Chapel', secondary_keys: ['bell', 'tide'], selective: true, insertion_order: 5, position: 'after_char', extensions: { selectiveLogic: 3, position: 1 } });

    // The greeting opens the story without an empty "> " action line, for the models and in Markdown.
    const ctx = json(await luna(['context', id, '--action', 'I ask her name', '--json'], { home }));
    expect(ctx.text).toContain('[turn 1] (the story opens)\n*Maren Vale lifts the lamp.*');
    const md = (await luna(['story', 'export', id, '--format', 'md'], { home })).stdout;
    expect(md).toContain('## Turn 1\n\n*Maren Vale lifts the lamp.*');

    // And LUNA reads its own card back into the same story.
    const again = json(await luna(['story', 'import', out, '--json'], { home }));
    expect(again).toMatchObject({ spec: 'chara_card_v3', greetings: 3, lore: 2, image: true });
    const b2 = json(await luna(['story', 'export', again.story.id], { home }));
    expect({ ...b2, card: undefined }).toEqual({ ...bundle, card: undefined });
  }, 180_000);

  it('keeps a long example dialogue whole as lore and gives it back; reads V3 JSON and CHARX made by zip(1)', async () => {
    const long = `<START>\n${'{{char}}: The sea is patient.\n'.repeat(120)}`;
    const v3 = { spec: 'chara_card_v3', spec_version: '3.0', data: { ...V2_CARD.data, mes_example: long, group_only_greetings: ['Hi all'], character_book: undefined,
      assets: [{ type: 'icon', uri: 'embeded://assets/icon/images/main.png', name: 'main', ext: 'png' }, { type: 'emotion', uri: 'embeded://assets/emotion/happy.png', name: 'happy', ext: 'png' }] } };
    const imp = json(await luna(['story', 'import', put('long.json', JSON.stringify(v3)), '--json'], { home }));
    expect(imp.notes).toContain(`mes_example is ${long.replaceAll('{{char}}', 'Maren Vale').length.toLocaleString('en-US')} characters: kept whole as the constant lore entry "Example dialogue"`);
    const out = path.join(home, 'long-out.json');
    expect((await luna(['story', 'export', imp.story.id, '--format', 'card', '-o', out], { home })).exitCode).toBe(0);
    const back = JSON.parse(readFileSync(out, 'utf8'));
    expect(back.data.mes_example).toBe(long);
    expect(back.data.group_only_greetings).toEqual(['Hi all']);
    expect(back.data.character_book).toBeUndefined();

    const dir = path.join(home, 'charx');
    mkdirSync(path.join(dir, 'assets/icon/images'), { recursive: true });
    mkdirSync(path.join(dir, 'assets/emotion'), { recursive: true });
    writeFileSync(path.join(dir, 'card.json'), JSON.stringify(v3));
    writeFileSync(path.join(dir, 'assets/icon/images/main.png'), tinyPng());
    writeFileSync(path.join(dir, 'assets/emotion/happy.png'), tinyPng());
    await execa('zip', ['-qr', path.join(home, 'maren.charx'), 'card.json', 'assets'], { cwd: dir });
    const cx = await luna(['story', 'import', path.join(home, 'maren.charx'), '--json'], { home });
    expect(cx.exitCode, cx.stderr).toBe(0);
    expect(json(cx)).toMatchObject({ source: 'charx', image: true, notes: expect.arrayContaining(['asset emotion "happy" (embeded://assets/emotion/happy.png) not kept: LUNA keeps the card\'s main PNG image only']) });
    const charxOut = path.join(home, 'back.charx');
    expect((await luna(['story', 'export', json(cx).story.id, '--format', 'card', '-o', charxOut], { home })).exitCode).toBe(0);
    const listing = await execa('unzip', ['-t', charxOut]);
    expect(listing.stdout).toContain('No errors detected');
    const card = JSON.parse((await execa('unzip', ['-p', charxOut, 'card.json'])).stdout);
    expect(card.data.name).toBe('Maren Vale');
    const icon = (await execa('unzip', ['-p', charxOut, 'assets/icon/images/main.png'], { encoding: 'buffer' })).stdout as unknown as Uint8Array;
    expect(Buffer.from(icon).subarray(0, 8).equals(SIGNATURE)).toBe(true);
  }, 180_000);

  it('refuses bad cards with one line each and writes nothing', async () => {
    const count = async () => json(await luna(['story', 'list', '--json'], { home })).length;
    const before = await count();
    const cases: [string, Buffer | string, RegExp][] = [
      ['plain.png', tinyPng({ Comment: 'just a picture' }), /plain\.png is a PNG without a character card \(no chara or ccv3 text chunk\)$/m],
      ['cut.png', tinyPng({ chara: b64json(V2_CARD) }).subarray(0, 300), /cut\.png is cut short: it ends at byte \d+ inside its tEXt chunk before the PNG's end/],
      ['crc.png', (() => { const b = Buffer.from(tinyPng({ chara: b64json(V2_CARD) })); b[b.length - 20] = b[b.length - 20]! ^ 0xff; return b; })(), /crc\.png is damaged: the checksum of its tEXt chunk at byte \d+ does not match/],
      ['types.json', JSON.stringify({ ...V2_CARD, data: { ...V2_CARD.data, alternate_greetings: 'hi' } }), /types\.json: card field data\.alternate_greetings: /],
      ['noname.png', tinyPng({ chara: b64json({ ...V2_CARD, data: { ...V2_CARD.data, name: 42 } }) }), /noname\.png: card field data\.name: /],
      ['notb64.png', tinyPng({ chara: '{not base64!}' }), /notb64\.png: its chara chunk is not base64/],
      ['badjson.png', tinyPng({ chara: Buffer.from('{"spec": "chara_card_v2", "data": {"name": "x"').toString('base64') }), /badjson\.png \(chara chunk\) is not valid JSON \(it looks cut short\)/],
      ['v9.json', JSON.stringify({ spec: 'chara_card_v9', data: {} }), /v9\.json is a card of spec "chara_card_v9", which LUNA does not read/],
      ['dup.png', tinyPng({ chara: b64json({ ...V2_CARD, data: { ...V2_CARD.data, character_book: { entries: [{ keys: 7, content: 'x', extensions: {}, enabled: true, insertion_order: 1 }] } } }) }), /character_book entry 1: "keys" must be a list of words, found number 7/],
      ['noheader.png', Buffer.concat([SIGNATURE, chunk('tEXt', Buffer.from('chara\0abc'))]), /noheader\.png is damaged: a PNG must start with its IHDR chunk/],
    ];
    for (const [name, data, want] of cases) {
      const r = await luna(['story', 'import', put(name, data)], { home });
      expect(r.exitCode, `${name}: ${r.stderr}`).toBe(2);
      expect(r.stderr.split('\n')[0], name).toMatch(want);
      expect(r.stderr.trim().split('\n'), name).toHaveLength(2); // the line and its hint
    }
    const huge = put('huge.png', tinyPng());
    truncateSync(huge, 40 * 1024 * 1024);
    const big = await luna(['story', 'import', huge], { home });
    expect(big.exitCode).toBe(2);
    expect(big.stderr).toMatch(/huge\.png is 40\.0 MiB; a character card files are read up to 32 MiB/);
    expect(await count()).toBe(before);
  }, 240_000);
});
