import { describe, expect, it } from 'vitest';
import { renderBadge } from './badge.js';
import { passingResult, resultOf, sampleResult } from './sample-result.test-helper.js';

/** The message background's colour as [red, green, blue], whatever palette badge-maker uses. */
function messageColour(svg: string): number[] {
  const hex =
    /<rect x="\d+" width="\d+" height="20" fill="#([0-9a-f]{3}|[0-9a-f]{6})"/.exec(svg)?.[1] ?? '';
  const full = hex.length === 3 ? [...hex].map((digit) => digit + digit).join('') : hex;
  return [0, 2, 4].map((start) => parseInt(full.slice(start, start + 2), 16));
}

describe('renderBadge', () => {
  it('renders an SVG and a shields endpoint that turn red when a case failed', () => {
    const { svg, shields } = renderBadge(sampleResult());
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('relay contract v1');
    expect(shields).toEqual({
      schemaVersion: 1,
      label: 'relay contract v1',
      message: '1/2 relays · 75%',
      color: 'red',
    });
    const [red = 0, green = 0] = messageColour(svg);
    expect(red).toBeGreaterThan(green);
  });

  it('is bright green when nothing failed', () => {
    const { svg, shields } = renderBadge(passingResult());
    expect(shields.color).toBe('brightgreen');
    expect(shields.message).toBe('2/2 relays · 87%');
    const [red = 0, green = 0] = messageColour(svg);
    expect(green).toBeGreaterThan(red);
  });

  it('counts cases for a single relay', () => {
    const express = resultOf(sampleResult().cases.filter((c) => c.relay === 'express'));
    expect(renderBadge(express).shields.message).toBe('2/4 passed');
  });
});
