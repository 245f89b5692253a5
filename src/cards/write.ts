import type { StoryBundle } from '../store/types.js';
import { bundleToCard } from './convert.js';
import { plainPng, readPngChunks, withTextChunks } from './png.js';
import { writeZip } from './zip.js';

export type CardFormat = 'png' | 'json' | 'charx';

/** The card file for a story: PNG (the story's picture, or a plain one) with V2 `chara` and V3 `ccv3` chunks, V3 JSON, or CHARX. */
export function writeCard(b: StoryBundle, format: CardFormat): Buffer {
  const v3 = bundleToCard(b);
  const image = b.card?.image ? Buffer.from(b.card.image, 'base64') : null;
  const png = () => {
    const chunks = image ? readPngChunks(image, 'the story\'s image') : plainPng();
    // Both chunks, as SillyTavern writes them: V2-only readers take `chara`, V3 readers `ccv3`.
    const v2 = { spec: 'chara_card_v2', spec_version: '2.0', data: v3.data };
    return withTextChunks(chunks, { chara: b64(v2), ccv3: b64(v3) });
  };
  if (format === 'png') return png();
  if (format === 'json') return Buffer.from(`${JSON.stringify(v3, null, 2)}\n`, 'utf8');
  const icon = 'assets/icon/images/main.png';
  const withAsset = { ...v3, data: { ...v3.data, assets: [{ type: 'icon', uri: `embeded://${icon}`, name: 'main', ext: 'png' }] } };
  const picture = image ?? withTextChunks(plainPng(), {});
  return writeZip([{ name: 'card.json', data: Buffer.from(JSON.stringify(withAsset), 'utf8') }, { name: icon, data: picture }]);
}

function b64(v: unknown): string {
  return Buffer.from(JSON.stringify(v), 'utf8').toString('base64');
}

export function cardFormatOf(file: string | undefined): CardFormat {
  if (!file) return 'json';
  if (/\.png$/i.test(file)) return 'png';
  if (/\.charx$/i.test(file)) return 'charx';
  return 'json';
}
