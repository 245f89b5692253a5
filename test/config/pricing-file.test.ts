import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { listPrices } from '../../src/cost/prices.js';

const tmp = (prefix: string) => mkdtempSync(path.join(tmpdir(), prefix));
const PRICES = 'models:\n  my-model: { inputPerMTok: 1.25, outputPerMTok: 7.5 }\n';

// The bug only shows when the working directory is not the config's folder, so each test runs from elsewhere.
let cwd: string;
beforeEach(() => {
  cwd = process.cwd();
  process.chdir(tmp('luna-elsewhere-'));
});
afterEach(() => process.chdir(cwd));

describe('cost.pricingFile', () => {
  it('resolves relative to the user config folder, not the working directory', () => {
    const home = tmp('luna-home-');
    writeFileSync(path.join(home, 'luna.yaml'), 'cost:\n  pricingFile: ./p.yaml\n');
    writeFileSync(path.join(home, 'p.yaml'), PRICES);
    const { config } = loadConfig({ home, env: {} });
    expect(config.cost.pricingFile).toBe(path.join(home, 'p.yaml'));
    const mine = listPrices(config).find((p) => p.model === 'my-model');
    expect(mine).toMatchObject({ inputPerMTok: 1.25, outputPerMTok: 7.5, origin: 'table' });
  });

  it('resolves against the --config file that names it and keeps absolute paths', () => {
    const home = tmp('luna-home-');
    const dir = tmp('luna-extra-');
    writeFileSync(path.join(dir, 'extra.yaml'), 'cost:\n  pricingFile: prices/p.yaml\n');
    const { config } = loadConfig({ home, configFile: path.join(dir, 'extra.yaml'), env: {} });
    expect(config.cost.pricingFile).toBe(path.join(dir, 'prices', 'p.yaml'));

    const abs = path.join(tmp('luna-abs-'), 'abs.yaml');
    writeFileSync(path.join(dir, 'extra.yaml'), `cost:\n  pricingFile: ${abs}\n`);
    expect(loadConfig({ home, configFile: path.join(dir, 'extra.yaml'), env: {} }).config.cost.pricingFile).toBe(abs);
  });
});
