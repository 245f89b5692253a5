/**
 * What an operator can do from `luna top`. The console asks before any of them (each stops or costs work);
 * each resolves with one line to show, or rejects with a LunaError whose message is shown instead.
 */
export interface TopActions {
  /** Last lines of a shard's engine log. */
  logTail(shard: string, lines: number): Promise<string[]>;
  restartShard(shard: string): Promise<string>;
  /** Lets in-flight requests finish, then terminates the instance. */
  drainInstance(id: string): Promise<string>;
  terminateInstance(id: string): Promise<string>;
}
