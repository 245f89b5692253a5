/**
 * Stopping on a signal without losing work. SIGINT (Ctrl-C), SIGTERM (kill, supervisors, `docker stop`) and
 * SIGHUP (the terminal went away) all mean "stop now, cleanly": a running turn is cancelled through its
 * AbortSignal, so the calls already paid for reach the ledger and nothing half-written lands, and the process
 * then exits with 128 + the signal's number, as a shell reports a process the signal killed.
 */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** 128 + the signal number: SIGINT 130 (LUNA's "cancelled"), SIGTERM 143, SIGHUP 129. */
export const SIGNAL_EXIT_CODES: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * Calls `handler` for each SIGINT, SIGTERM and SIGHUP until the returned function is called. While it listens,
 * the signals' default action (ending the process at once) is off: the caller decides when to exit.
 */
export function onStopSignals(handler: (signal: StopSignal) => void): () => void {
  const listeners = STOP_SIGNALS.map((signal) => {
    const listener = () => handler(signal);
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
  };
}
