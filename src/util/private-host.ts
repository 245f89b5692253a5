/**
 * Whether a hostname is on this machine or a private network: such endpoints are self-hosted (their spend is
 * GPU-hours, not an API bill) and need no API key. Brackets around IPv6 literals are tolerated.
 */
export function isPrivateHost(host: string): boolean {
  const h = unmapIpv4(host.toLowerCase().replace(/^\[|\]$/g, ''));
  if (h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.local') || h.endsWith('.internal') || h.endsWith('.lan')) return true;
  if (h === '::1' || h.startsWith('fc') || h.startsWith('fd') || h.startsWith('fe80:')) return h.includes(':');
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a === 127 || a === 10 || (a === 192 && b === 168) || (a === 172 && b >= 16 && b <= 31) || (a === 169 && b === 254) || a === 0;
}

/**
 * `::ffff:127.0.0.1` → `127.0.0.1`: an IPv4-mapped IPv6 address is that IPv4 host. WHATWG URL parsing
 * rewrites it to hex (`[::ffff:7f00:1]`), so both spellings are handled.
 */
function unmapIpv4(h: string): string {
  const m = /^(?:(?:0{1,4}:){5}|::)ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/.exec(h);
  if (!m) return h;
  if (m[1]) return m[1];
  const [hi, lo] = [parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}
