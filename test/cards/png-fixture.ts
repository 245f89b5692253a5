import { crc32, deflateSync } from 'node:zlib';

/**
 * PNG files written byte for byte as ISO/IEC 15948 says, independently of LUNA's own writer: length,
 * type, data, CRC-32 (zlib's) over type and data. A 2×2 RGBA image, then any tEXt chunks, then IEND.
 */
export const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

export function tinyPng(text: Record<string, string> = {}): Buffer {
  const ihdr = Buffer.from([0, 0, 0, 2, 0, 0, 0, 2, 8, 6, 0, 0, 0]);
  const rows = Buffer.from([0, 255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 0, 255, 255, 255, 255, 255, 255, 0, 255]);
  return Buffer.concat([
    SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)),
    ...Object.entries(text).map(([k, v]) => chunk('tEXt', Buffer.concat([Buffer.from(k, 'latin1'), Buffer.from([0]), Buffer.from(v, 'latin1')]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Every chunk of a PNG, each CRC checked with zlib's CRC-32. */
export function chunksOf(png: Buffer): { type: string; data: Buffer }[] {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  const out: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < png.length;) {
    const len = png.readUInt32BE(at);
    const type = png.toString('ascii', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + len);
    if (crc32(png.subarray(at + 4, at + 8 + len)) !== png.readUInt32BE(at + 8 + len)) throw new Error(`bad CRC in ${type}`);
    out.push({ type, data });
    at += 12 + len;
  }
  return out;
}

export function textOf(png: Buffer): Record<string, string> {
  return Object.fromEntries(chunksOf(png).filter((c) => c.type === 'tEXt').map((c) => {
    const nul = c.data.indexOf(0);
    return [c.data.toString('latin1', 0, nul), c.data.toString('latin1', nul + 1)];
  }));
}

export const b64json = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8').toString('base64');
export const fromB64json = (s: string) => JSON.parse(Buffer.from(s, 'base64').toString('utf8'));

/** A V2 card as SillyTavern writes it, with macros, greetings, a book with World Info extensions, and extras LUNA has no place for. */
export const V2_CARD = {
  spec: 'chara_card_v2',
  spec_version: '2.0',
  data: {
    name: 'Maren Vale',
    description: '{{char}} keeps the Harbour light. She distrusts strangers.',
    personality: 'stubborn, kind, dry humour',
    scenario: '{{user}} washes up on the rocks below the lighthouse during a storm.',
    first_mes: '*{{char}} lifts the lamp.* Who are you, and why are you on my rocks?',
    mes_example: '<START>\n{{user}}: Hello?\n{{char}}: Keep your voice down. The sea listens.',
    creator_notes: 'Best with a slow-burn story. Ünïcödé note ✓',
    system_prompt: 'Write in third person.',
    post_history_instructions: '',
    alternate_greetings: ['*The lamp gutters.* Another one from the sea.', '*{{char}} is asleep when you knock.*'],
    character_book: {
      name: 'Harbour', extensions: {},
      entries: [
        { keys: ['chapel'], content: 'The drowned chapel rings at low tide.', extensions: { selectiveLogic: 3, position: 1, probability: 100, useProbability: true }, enabled: true, insertion_order: 5, name: 'Chapel', priority: 10, secondary_keys: ['bell', 'tide'], selective: true, constant: false, position: 'after_char', comment: 'old lore', id: 0 },
        { keys: ['korvin'], content: 'Korvin is a thief.', extensions: {}, enabled: true, insertion_order: 100, id: 1 },
      ],
    },
    tags: ['lighthouse', 'slow burn', 'female'],
    creator: 'someone',
    character_version: '1.2',
    extensions: { talkativeness: '0.5', fav: false, world: 'Harbour', depth_prompt: { prompt: '', depth: 4 } },
  },
};
