// Bundles the compiled TUI (dist/src/tui) with Ink and React into dist/tui.bundle.js, run by `npm run build`.
// Why: Ink's dependency graph is hundreds of small ES modules (es-toolkit/compat alone loads the whole library),
// and React picks its development build at run time; loading them one by one took ~0.7 s of `luna play`'s
// start-up. Bundled, tree-shaken and with the production React build, the same code loads in ~0.15 s.
// Only the TUI and its third-party UI packages go in the bundle: every other LUNA module stays an external
// import of the same dist/ file, so the CLI and the TUI share one instance of each (errors, store, pipeline).
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const tuiDir = path.join(dist, 'src', 'tui') + path.sep;
const outfile = path.join(dist, 'tui.bundle.js');
// `luna top`'s console gets its own bundle (same reasons: start-up, and React's production build redraws at a
// fraction of the development build's CPU every refresh).
const bundles = [['launch.js', outfile], [path.join('top', 'launch.js'), path.join(dist, 'tui-top.bundle.js')]];

const keepLunaModulesExternal = {
  name: 'luna-externals',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const abs = path.resolve(args.resolveDir, args.path);
      if (abs.startsWith(tuiDir) || !abs.startsWith(dist)) return undefined;
      const rel = path.relative(path.dirname(outfile), abs).split(path.sep).join('/');
      return { path: rel.startsWith('.') ? rel : `./${rel}`, external: true };
    });
    // Ink loads react-devtools-core only when DEV=true; it is not installed.
    b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'luna-empty' }));
    b.onLoad({ filter: /.*/, namespace: 'luna-empty' }, () => ({ contents: 'export default {}; export const connectToDevTools = () => {};', loader: 'js' }));
  },
};

for (const [entry, out] of bundles) await build({
  entryPoints: [path.join(tuiDir, entry)],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  sourcemap: false,
  define: { 'process.env.NODE_ENV': '"production"' },
  // Node packages with native parts or heavy SDKs stay outside; the TUI only imports ink, react and LUNA code.
  // sixel's quantiser (upng.js) assigns an undeclared global, which throws in the bundle's strict-mode ESM: it
  // and the PNG decoder it works with load from node_modules as the CommonJS they are (src/tui/sixel.ts
  // requires them on the first sixel picture).
  external: ['sixel', 'pngjs', 'better-sqlite3', 'node-llama-cpp', 'pg', 'sqlite-vec', 'openai', '@anthropic-ai/sdk', 'bullmq', 'ioredis', 'execa', 'cli-table3', 'ora', 'systeminformation', 'yaml', 'zod', 'commander'],
  banner: { js: "import { createRequire as __lunaCreateRequire } from 'module'; const require = __lunaCreateRequire(import.meta.url);" },
  plugins: [keepLunaModulesExternal],
  logLevel: 'warning',
});
