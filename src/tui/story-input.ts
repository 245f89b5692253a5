import { storyBundleSchema } from '../story/bundle.js';
import { TITLE_MAX_CHARS, titleProblem } from '../story/title.js';

/**
 * What the new-story form and `luna play --new` say about a title or premise as it is typed: the same rules as
 * checkNewStory in src/story/ops.ts (which creates the story), worded for a form. Returns what is wrong, or null.
 */
export function newStoryProblem(field: 'title' | 'premise', value: string): string | null {
  const v = value.trim();
  if (field === 'title') {
    if (!v) return 'a title is needed';
    const problem = titleProblem(v);
    if (!problem) return null;
    return problem.startsWith('is too long') ? `the title is too long (${[...v].length} characters; at most ${TITLE_MAX_CHARS})` : `the title ${problem}`;
  }
  const r = storyBundleSchema.shape.premise.safeParse(v);
  return r.success ? null : `the premise is too long (${v.length} characters; at most 20000)`;
}
