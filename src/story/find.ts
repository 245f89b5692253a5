import { NotFoundError, UsageError } from '../errors.js';
import { type Account, DEFAULT_ACCOUNT_ID, type Store, type Story } from '../store/types.js';

/** Accepts a full id, a unique id prefix, or an exact title, so users can type what they see in `story list`. */
export async function findStory(store: Store, ref: string): Promise<Story> {
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
