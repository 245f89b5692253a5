import { ExitCode, LunaError, type LunaErrorOptions } from '../errors.js';

/** Anything `luna serve` refuses or fails at: placement, ports, daemon control. Exit code 11. */
export class ServeError extends LunaError {
  constructor(message: string, opts: LunaErrorOptions = {}) {
    super(message, ExitCode.serve, opts);
  }
}
