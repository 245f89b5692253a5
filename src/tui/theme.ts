/**
 * Colours, or none: NO_COLOR (any value) and terminals without colour support get plain text, with
 * emphasis carried by bold/inverse and glyphs so nothing depends on colour alone.
 */
export interface Theme {
  color: boolean;
  c(name: keyof typeof PALETTE): string | undefined;
}

const PALETTE = {
  action: 'cyan',
  prose: undefined,
  dim: 'gray',
  error: 'red',
  warning: 'yellow',
  info: 'blue',
  ok: 'green',
  accent: 'magenta',
  title: 'cyan',
} as const;

export function detectColor(env: NodeJS.ProcessEnv = process.env, stream: { isTTY?: boolean; hasColors?: (n?: number) => boolean } = process.stdout): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  if (env.TERM === 'dumb') return false;
  if (!stream.isTTY) return false;
  return typeof stream.hasColors === 'function' ? stream.hasColors(8) : true;
}

export function makeTheme(color: boolean): Theme {
  return { color, c: (name) => (color ? PALETTE[name] : undefined) };
}
