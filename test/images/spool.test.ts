import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createImageSpool, discardStorySpool, spoolRoot } from '../../src/images/spool.js';
import { makePng } from '../helpers/comfyui-fake.js';

const meta = { storyId: 'story1', turnId: 'turn1' };
const run = () => ({ images: [{ bytes: makePng(4, 3), filename: 'LUNA_00001_.png' }, { bytes: makePng(2, 2), filename: 'LUNA_00002_.png' }], transport: 'poll' as const, gpuMs: 1200 });

describe('the image spool', () => {
  it('gives back what was kept for the same request, nothing for another (and drops it), and nothing once discarded', () => {
    const home = mkdtempSync(path.join(tmpdir(), 'luna-spool-'));
    const spool = createImageSpool(home);
    expect(spool.keep(meta, 'k1', run())).toBe(true);
    const got = spool.take(meta, 'k1')!;
    expect(got.images.map((i) => i.filename)).toEqual(['LUNA_00001_.png', 'LUNA_00002_.png']);
    expect(got.images[0]!.bytes.equals(run().images[0]!.bytes)).toBe(true);
    expect(got.gpuMs).toBe(1200);
    // Discarding for another request's key leaves this one alone (a newer attempt's spool is not the caller's to drop).
    spool.discard(meta, 'other');
    expect(spool.take(meta, 'k1')).not.toBeNull();
    expect(spool.take(meta, 'k2')).toBeNull();
    expect(spool.take(meta, 'k1')).toBeNull();
    expect(existsSync(path.join(spoolRoot(home), 'story1'))).toBe(false);
  });

  it('a damaged spool (a picture cut short) is dropped, not stored; a newer keep replaces an older one; unsafe ids are refused', () => {
    const home = mkdtempSync(path.join(tmpdir(), 'luna-spool-'));
    const spool = createImageSpool(home);
    spool.keep(meta, 'k1', run());
    const dir = path.join(spoolRoot(home), 'story1', 'turn1');
    writeFileSync(path.join(dir, '2.png'), 'cut');
    expect(spool.take(meta, 'k1')).toBeNull();
    expect(existsSync(dir)).toBe(false);
    spool.keep(meta, 'k1', run());
    expect(spool.keep(meta, 'k2', { ...run(), gpuMs: 5 })).toBe(true);
    expect(spool.take(meta, 'k2')!.gpuMs).toBe(5);
    expect(readdirSync(path.join(spoolRoot(home), 'story1'))).toEqual(['turn1']);
    expect(spool.keep({ storyId: '../x', turnId: 'turn1' }, 'k', run())).toBe(false);
    expect(readdirSync(spoolRoot(home))).toEqual(['story1']);
  });

  it("a story's deletion sweeps every turn it had spooled", () => {
    const home = mkdtempSync(path.join(tmpdir(), 'luna-spool-'));
    const spool = createImageSpool(home);
    spool.keep(meta, 'k1', run());
    spool.keep({ ...meta, turnId: 'turn2' }, 'k1', run());
    spool.keep({ storyId: 'story2', turnId: 'turn9' }, 'k1', run());
    expect(discardStorySpool(home, 'story1')).toBe(2);
    expect(readdirSync(spoolRoot(home))).toEqual(['story2']);
    expect(discardStorySpool(home, 'story1')).toBe(0);
  });
});
