import { describe, expect, it } from 'vitest';
import { renderHtml } from './html.js';
import { HOSTILE_DESCRIPTION, INJECTED_BODY, sampleResult } from './sample-result.test-helper.js';

describe('renderHtml', () => {
  const result = sampleResult();
  const html = renderHtml(result);

  it('is one self-contained page without scripts or external assets', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|@import|url\(/i);
    expect(html).toContain('<style>');
    expect(html).toContain('prefers-color-scheme: dark');
  });

  it('escapes what relays sent back and what fixtures describe', () => {
    expect(html).not.toContain(INJECTED_BODY);
    expect(html).toContain('&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;');
    expect(html).not.toContain(HOSTILE_DESCRIPTION);
    expect(html).toContain(
      'Rejects &lt;img&gt; &amp; &quot;quoted&quot; origins␁ from foreign sites',
    );
    expect(html).not.toContain('\u001b');
  });

  it('shows the totals, the matrix and failures before the per-relay cases', () => {
    expect(html).toContain('Relay Contract v1');
    expect(html).toMatch(/<li class="failed"><b>1<\/b>failed<\/li>/);
    expect(html).toMatch(/<td class="failed"[^>]*>✗ 1\/2<\/td>/);
    expect(html).toMatch(/<td class="warned"[^>]*>! 1<\/td>/);
    const failures = html.indexOf('Failures and warnings');
    expect(failures).toBeGreaterThan(html.indexOf('class="matrix"'));
    expect(failures).toBeLessThan(html.indexOf('id="relay-0"'));
  });

  it('details every case with requirements, level, outcome and exchanges; failed ones open', () => {
    expect(html.match(/<details class="case /g)).toHaveLength(result.cases.length);
    expect(html).toMatch(/<details class="case failed" id="case-1" open>/);
    expect(html).toMatch(/<details class="case passed" id="case-0">/);
    expect(html).toContain('<code>R-ORIGIN-2</code> <span class="muted">MUST · §3.1</span>');
    expect(html).toContain('x-forwarded-for');
    expect(html).toContain('→ 200 · upstream 1');
    expect(html).toContain('relay does not implement early refusal');
    expect(html).toContain('href="cases/express/ORIGIN_foreign.json"');
  });
});

describe('renderHtml bodies', () => {
  it('indents compact JSON bodies but shows anything JSON.parse would alter as sent', () => {
    const result = sampleResult();
    const exchange = result.cases[0]?.exchanges[0];
    if (exchange?.response === undefined) throw new Error('sample has a response');
    exchange.response.body = '{"a":1,"a":2}';
    exchange.request.bodyPreview = '{"big":12345678901234567890}';
    const html = renderHtml(result);
    expect(html).toContain('{&quot;a&quot;:1,&quot;a&quot;:2}');
    expect(html).toContain('{&quot;big&quot;:12345678901234567890}');
    expect(html).toContain('{\n  &quot;events&quot;: []\n}');
  });
});
