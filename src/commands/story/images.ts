import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';
import { findStory } from '../../story/find.js';
import { listStoryImages } from '../../story/images.js';
import { terminalLine } from '../../util/terminal-text.js';

/** `luna story images STORY`: every image the Dreamer stored for the story, by turn. */
export async function run(ref: string, _opts: Record<string, never>, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store) => {
    const story = await findStory(store, ref);
    const images = await listStoryImages(store, story.id);
    if (g.json) return printJson(images);
    if (!images.length) {
      process.stdout.write(`no images for "${terminalLine(story.title)}" yet: they come from the Dreamer's ComfyUI step (agents.dreamer.comfyui; see docs/images.md)\n`);
      return;
    }
    await printTable(
      ['turn', 'turn id', 'n', 'size', 'bytes', 'path'],
      images.map((i) => [i.depth, i.turnId, i.n, i.width !== null && i.height !== null ? `${i.width}x${i.height}` : '?', i.bytes, terminalLine(i.path)]),
      { align: ['right', 'left', 'right', 'right', 'right', 'left'] },
    );
  });
}
