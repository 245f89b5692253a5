import type { Story, StoryBundle } from '../contract/records.js';
import type { SqlContext } from '../sql/context.js';
import { SqlStories } from '../sql/stories.js';
import type { PgDb } from './connection.js';

/** Imports at least this large refresh the planner's statistics on turns at once. */
const BULK_ANALYZE_TURNS = 500;

/** Stories, with the planner's statistics refreshed after a big import. */
export class PgStories extends SqlStories {
  constructor(c: SqlContext, private readonly pg: PgDb) {
    super(c);
  }

  /**
   * The planner's row estimates for turns lag a bulk import until autovacuum gets to it (up to a minute, or
   * 10% of the table): with a new 10k-turn story estimated at one row, a search read every turn of the story
   * for each word (120 ms instead of 3). ANALYZE needs the table's owner, so it runs on the owner's connection
   * once the import has committed, for an account's store too (it reads statistics, not rows, back).
   */
  override async importStory(bundle: StoryBundle, accountId?: string): Promise<Story> {
    const story = await super.importStory(bundle, accountId);
    const turns = bundle.turns.length + (bundle.branches ?? []).reduce((n, b) => n + b.turns.length, 0);
    // Only an optimisation, after the story has committed: a failure here must not report a saved import as failed.
    if (turns >= BULK_ANALYZE_TURNS) await this.pg.asOwner((q) => q.run('ANALYZE turns')).catch(() => undefined);
    return story;
  }
}
