import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createClassifier } from '../../src/cost/classify.js';
import { isPrivateBaseUrl } from '../../src/models/shared.js';
import { isPrivateHost } from '../../src/util/private-host.js';

const agents = { preprocessor: { model: 'm' }, strategist: { model: 'm' }, writer: { model: 'm' }, dreamer: { model: 'm' } };

/** The class of spend on an openai-compatible model served from `baseUrl`, as `luna cost report` sees it. */
function classOf(baseUrl: string): string {
  const config = configSchema.parse({ models: { m: { provider: 'openai-compatible', baseUrl, model: 'llama-3-8b' } }, agents });
  return createClassifier(config)({ agent: 'writer', provider: 'openai-compatible', model: 'llama-3-8b' });
}

describe('IPv4-mapped IPv6 hosts', () => {
  it('counts mapped loopback and private addresses as self-hosted, in either spelling', () => {
    for (const h of ['[::ffff:127.0.0.1]', '::ffff:127.9.8.7', '[::ffff:7f00:1]', '::FFFF:7F01:203', '0:0:0:0:0:ffff:127.0.0.1', '[::ffff:10.1.2.3]', '::ffff:c0a8:109']) {
      expect(isPrivateHost(h), h).toBe(true);
    }
    for (const h of ['[::ffff:8.8.8.8]', '::ffff:808:808', '::ffff:172.32.0.1', '::fffe:127.0.0.1', '1::ffff:127.0.0.1']) {
      expect(isPrivateHost(h), h).toBe(false);
    }
  });

  it('classes a model whose baseUrl is mapped loopback as self-hosted spend, a mapped public address as cloud', () => {
    // new URL() turns [::ffff:127.0.0.1] into [::ffff:7f00:1]: this goes through the same parsing as the report.
    expect(classOf('http://[::ffff:127.0.0.1]:8080/v1')).toBe('self-hosted');
    expect(classOf('http://[::ffff:127.1.2.3]/v1')).toBe('self-hosted');
    expect(classOf('http://[::1]:8080/v1')).toBe('self-hosted');
    expect(classOf('http://[::ffff:8.8.8.8]/v1')).toBe('cloud');
  });

  it('needs no API key on a mapped loopback endpoint either: the model client asks the same question', () => {
    expect(isPrivateBaseUrl('http://[::ffff:127.0.0.1]:8080/v1')).toBe(true);
    expect(isPrivateBaseUrl('http://host.docker.internal:8000/v1')).toBe(true);
    expect(isPrivateBaseUrl('https://api.openai.com/v1')).toBe(false);
    expect(isPrivateBaseUrl('not a url')).toBe(false);
  });
});
