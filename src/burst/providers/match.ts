/** `--gpu` is matched loosely: "rtx 4090", "RTX_4090" and "NVIDIA GeForce RTX 4090" all name the same card. */
export function normalizeGpu(s: string): string {
  return s.toLowerCase().replace(/[\s_-]+/g, '');
}

export function matchesGpu(wanted: string, names: string[]): boolean {
  const w = normalizeGpu(wanted);
  return names.some((n) => {
    const m = normalizeGpu(n);
    return m === w || (w.length >= 3 && m.includes(w));
  });
}
