import { NotFoundError, UsageError } from '../errors.js';
import { type Account, DEFAULT_ACCOUNT_ID, type Store, type Story } from '../store/types.js';

export type RefKind = 'story' | 'turn' | 'account' | 'API key';

const LISTS: Record<RefKind, string> = {
  story: 'luna story list shows the story ids',
  turn: 'luna story show ID lists the branches with their turn ids ("root" is the start)',
  account: 'luna account list shows the account ids',
  'API key': 'luna account keys list shows the key ids',
};

/**
 * Every id or prefix a user types goes through here before it reaches a lookup. An empty prefix is a prefix
 * of every id: `luna story delete "" --yes` deleted the only story. Blank is a usage error (exit 2), here,
 * once, for the CLI and any future caller.
 */
export function checkRef(ref: string, kind: RefKind): string {
  if (ref.trim() === '') {
    throw new UsageError(`the ${kind} id is ${ref === '' ? 'empty' : 'blank'}`, { hint: `give an id or a unique prefix of one; ${LISTS[kind]}` });
  }
  return ref;
}

/** Accepts a full id, a unique id prefix, or an exact title, so users can type what they see in `story list`. */
export async function findStory(store: Store, ref: string): Promise<Story> {
  checkRef(ref, 'story');
  const direct = await store.getStory(ref);
  if (direct) return direct;
  const all = await store.listStories();
  const byPrefix = all.filter((s) => s.id.startsWith(ref));
  const matches = byPrefix.length ? byPrefix : all.filter((s) => s.title.toLowerCase() === ref.toLowerCase());
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new UsageError(`"${ref}" matches ${matches.length} stories`, { hint: 'use more characters of the id (see `luna story list`)' });
  throw new NotFoundError(`no story "${ref}"`, { hint: 'list stories with `luna story list`, or start one with `luna story new`' });
}

/** An existing account, or NotFoundError (exit 4) naming it: every --account and account argument goes through here. */
export async function findAccount(store: Store, id: string): Promise<Account> {
  checkRef(id, 'account');
  const account = await store.getAccount(id);
  if (!account) throw new NotFoundError(`no account "${id}"`, { hint: `luna account list shows them; luna account create "NAME" --id ${id} creates it` });
  return account;
}

/**
 * The account a new story goes to. The built-in `local` account is created on first use; any other must
 * exist already: a misspelt --account would otherwise open a new account on the default tier, quietly.
 */
export async function requireAccount(store: Store, id: string): Promise<void> {
  if (id === DEFAULT_ACCOUNT_ID) await store.ensureAccount(id);
  else await findAccount(store, id);
}
