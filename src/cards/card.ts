import { z } from 'zod';
import { UsageError } from '../errors.js';
import { jsonCutShort } from '../util/read-input.js';
import { isPng, readPngChunks, textChunks, type PngChunk, PNG_SIGNATURE, encodeChunk } from './png.js';
import { isZip, listZip, readZipEntry } from './zip.js';

/**
 * Character Card V2 (chara_card_v2) and V3 (chara_card_v3), as SillyTavern and RisuAI write them: in a PNG's
 * `chara` (V2) and `ccv3` (V3) tEXt chunks as base64 of the card's JSON, as plain JSON, or in a CHARX
 * (a zip with card.json and assets). Unknown fields are kept: a card goes back out with them.
 */
const text = z.string();
const strings = z.array(z.string());
export const cardDataSchema = z.looseObject({
  name: z.string().trim().min(1, 'a card needs a name'),
  description: text.default(''),
  personality: text.default(''),
  scenario: text.default(''),
  first_mes: text.default(''),
  mes_example: text.default(''),
  creator_notes: text.optional(),
  system_prompt: text.optional(),
  post_history_instructions: text.optional(),
  alternate_greetings: strings.default([]),
  group_only_greetings: strings.optional(),
  character_book: z.looseObject({ entries: z.array(z.unknown()) }).optional(),
  tags: strings.default([]),
  creator: text.optional(),
  character_version: text.optional(),
  nickname: text.optional(),
  extensions: z.record(z.string(), z.unknown()).optional(),
  assets: z.array(z.looseObject({ type: z.string(), uri: z.string(), name: z.string(), ext: z.string() })).optional(),
});
export type CardData = z.infer<typeof cardDataSchema>;

export interface ReadCard {
  spec: 'chara_card_v2' | 'chara_card_v3';
  data: CardData;
  /** The card's picture as a PNG without its card chunks, when it came with one. */
  image: Buffer | null;
  source: 'png' | 'json' | 'charx';
  notes: string[];
}

export function looksLikeCard(buf: Buffer): boolean {
  if (isPng(buf) || isZip(buf)) return true;
  const head = buf.subarray(0, 4096).toString('utf8');
  return /"spec"\s*:\s*"chara_card_/.test(head) || (/"first_mes"\s*:/.test(head) && !/"format"\s*:\s*"luna-story/.test(head));
}

export function readCard(buf: Buffer, file: string): ReadCard {
  if (isPng(buf)) return fromPng(buf, file);
  if (isZip(buf)) return fromCharx(buf, file);
  return { ...fromJson(parseJson(buf.toString('utf8'), file), file), image: null, source: 'json', notes: [] };
}

function fromPng(buf: Buffer, file: string): ReadCard {
  const chunks = readPngChunks(buf, file);
  const t = textChunks(chunks);
  // V3 readers prefer ccv3 and fall back to chara: SillyTavern writes both.
  const key = t.has('ccv3') ? 'ccv3' : t.has('chara') ? 'chara' : null;
  if (!key) throw new UsageError(`${file} is a PNG without a character card (no chara or ccv3 text chunk)`, { hint: 'export the character from SillyTavern or RisuAI as a PNG card, or give the card\'s JSON' });
  const b64 = t.get(key)!.trim();
  if (!/^[A-Za-z0-9+/=\r\n]+$/.test(b64)) throw new UsageError(`${file}: its ${key} chunk is not base64`, { hint: 'the card is damaged; get it again' });
  const card = fromJson(parseJson(Buffer.from(b64, 'base64').toString('utf8'), `${file} (${key} chunk)`), file);
  return { ...card, image: stripCardChunks(chunks), source: 'png', notes: [] };
}

/** The picture alone: the PNG without its chara/ccv3 chunks (the card lives in the story now). */
function stripCardChunks(chunks: PngChunk[]): Buffer {
  const keep = chunks.filter((c) => !(c.type === 'tEXt' && /^(chara|ccv3)\0/.test(c.data.toString('latin1', 0, 6))));
  return Buffer.concat([PNG_SIGNATURE, ...keep.map((c) => encodeChunk(c.type, c.data))]);
}

function fromCharx(buf: Buffer, file: string): ReadCard {
  const entries = listZip(buf, file);
  const cardEntry = entries.find((e) => e.name === 'card.json');
  if (!cardEntry) throw new UsageError(`${file} is a zip without card.json, so not a CHARX card`, { hint: 'a CHARX file holds card.json at its top level' });
  const card = fromJson(parseJson(readZipEntry(buf, cardEntry, file).toString('utf8'), `${file} (card.json)`), file);
  const notes: string[] = [];
  let image: Buffer | null = null;
  for (const a of card.data.assets ?? []) {
    const inZip = a.uri.replace(/^embed{1,2}ed:\/\//, '');
    const entry = a.uri !== inZip ? entries.find((e) => e.name === inZip) : undefined;
    if (a.type === 'icon' && !image && entry) {
      const data = readZipEntry(buf, entry, file);
      if (isPng(data)) {
        image = stripCardChunks(readPngChunks(data, `${file} (${inZip})`));
        continue;
      }
    }
    if (a.uri !== 'ccdefault:') notes.push(`asset ${a.type} "${a.name}" (${a.uri}) not kept: LUNA keeps the card's main PNG image only`);
  }
  return { ...card, image, source: 'charx', notes };
}

function parseJson(textIn: string, file: string): unknown {
  try {
    return JSON.parse(textIn.replace(/^\uFEFF/, ''));
  } catch (err) {
    const msg = (err as Error).message;
    const cut = jsonCutShort(err, textIn) ? ' (it looks cut short)' : '';
    throw new UsageError(`${file} is not valid JSON${cut}: ${msg}`, { hint: 'get the card again from where you found it' });
  }
}

function fromJson(raw: unknown, file: string): { spec: ReadCard['spec']; data: CardData } {
  const o = raw as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw notACard(file);
  let spec: ReadCard['spec'];
  let data: unknown;
  if (o.spec === 'chara_card_v3' || o.spec === 'chara_card_v2') {
    spec = o.spec;
    data = o.data;
  } else if (typeof o.spec === 'string') {
    throw new UsageError(`${file} is a card of spec "${o.spec}", which LUNA does not read`, { hint: 'LUNA reads chara_card_v2 and chara_card_v3 (and V1 cards without a spec)' });
  } else if ('first_mes' in o || ('name' in o && 'description' in o)) {
    spec = 'chara_card_v2'; // V1: the same fields at the top level, no spec
    data = o;
  } else throw notACard(file);
  const r = cardDataSchema.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new UsageError(`${file}: card field data.${i.path.join('.') || '(data)'}: ${i.message}`, { hint: 'the card does not follow the Character Card V2/V3 spec; fix that field or export it again' });
  }
  return { spec, data: r.data };
}

function notACard(file: string): UsageError {
  return new UsageError(`${file} is not a character card`, { hint: 'LUNA reads Character Card V2/V3 as PNG, JSON or CHARX; a LUNA story file goes through the same command' });
}
