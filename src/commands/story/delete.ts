import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import { requireConfirmation } from '../../cli/prompt.js';
import { findStory } from '../../story/find.js';
import { imageStoreFor } from '../../images/store.js';
import { removeImages } from '../../story/images.js';
import { plural } from '../../util/plural.js';

export async function run(ref: string, opts: { yes?: boolean }, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store, loaded) => {
    const story = await findStory(store, ref);
    const turns = await store.countTurns(story.id);
    await requireConfirmation({
      yes: opts.yes,
      question: `Delete "${story.title}" (${story.id}) and its ${plural(turns, 'turn')}? This cannot be undone.`,
      refusing: `delete "${story.title}"`,
      declined: `kept "${story.title}": nothing deleted`,
    });
    const pictures = (await store.listTurnImages(story.id)).map((i) => i.path);
    await store.deleteStory(story.id);
    await removeImages(imageStoreFor(loaded), pictures, { home: loaded.home, storyId: story.id });
    if (g.json) printJson({ deleted: story.id, turns });
    else process.stdout.write(`deleted ${story.id} (${plural(turns, 'turn')})\n`);
  });
}
