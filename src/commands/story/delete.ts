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
    const files = imageStoreFor(loaded);
    const { left } = await removeImages(files, pictures, { home: loaded.home, storyId: story.id });
    // The story is gone either way; pictures the store would not give up are named, never left silently.
    if (left.length) {
      process.stderr.write(`warning: ${plural(left.length, 'picture')} of the deleted story could not be removed from ${files.describe()}: ${left.slice(0, 3).join(', ')}${left.length > 3 ? ', …' : ''}\n`
        + 'hint: check the image store (luna doctor), then remove them by hand; `luna story delete --json` lists them all\n');
    }
    if (g.json) printJson({ deleted: story.id, turns, imagesLeft: left });
    else process.stdout.write(`deleted ${story.id} (${plural(turns, 'turn')})\n`);
  });
}
