import { describe, expect, it } from 'vitest';
import { renderJunit } from './junit.js';
import { HOSTILE_DESCRIPTION, sampleResult } from './sample-result.test-helper.js';
import { elements, parseXml } from './xml-check.test-helper.js';

describe('renderJunit', () => {
  const xml = renderJunit(sampleResult());
  const root = parseXml(xml);

  it('is well-formed, with one suite per relay and one testcase per case', () => {
    expect(root.name).toBe('testsuites');
    expect(root.attributes).toMatchObject({ tests: '10', failures: '1', skipped: '3' });
    expect(
      elements(root, 'testsuite').map((suite) => [
        suite.attributes.name,
        suite.attributes.tests,
        suite.attributes.failures,
      ]),
    ).toEqual([
      ['express', '5', '1'],
      ['fastify', '5', '0'],
    ]);
    expect(elements(root, 'testcase')).toHaveLength(10);
    expect(elements(root, 'failure')).toHaveLength(1);
    expect(elements(root, 'skipped')).toHaveLength(3);
  });

  it('names cases by relay.group and id + description, escaping markup and control characters', () => {
    const failed = elements(root, 'testcase').find(
      (testcase) => elements(testcase, 'failure').length > 0,
    );
    expect(failed?.attributes.classname).toBe('express.ORIGIN');
    expect(failed?.attributes.name).toBe(
      `ORIGIN/foreign ${HOSTILE_DESCRIPTION.replace('\u0001', '␁')}`,
    );
    expect(failed?.attributes.time).toBe('0.012');
    expect(xml).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
  });

  it('gives a failure its requirement ids and every message', () => {
    const [failure] = elements(root, 'failure');
    expect(failure?.attributes.message).toContain('R-ORIGIN-2, R-ORIGIN-1');
    expect(failure?.attributes.message).toContain('expected status 403, got 200');
    expect(failure?.text).toContain('step 1: upstream received 1 request, expected 0␛[2J');
  });

  it('reports warned cases as skipped, pointing at --strict', () => {
    const warned = elements(root, 'testcase').find(
      (testcase) =>
        testcase.attributes.name?.startsWith('RATE/window') &&
        testcase.attributes.classname === 'express.RATE',
    );
    const message =
      warned === undefined ? undefined : elements(warned, 'skipped')[0]?.attributes.message;
    expect(message).toMatch(/SHOULD-level/);
    expect(message).toMatch(/--strict/);
    expect(message).toContain('expected status 429, got 202');
  });
});

describe('parseXml (the test helper)', () => {
  it('rejects what an XML parser would', () => {
    expect(() => parseXml('<a><b></a>')).toThrow();
    expect(() => parseXml('<a x="<"/>')).toThrow();
    expect(() => parseXml('<a>&nbsp;</a>')).toThrow();
    expect(() => parseXml('<a>\u0001</a>')).toThrow();
    expect(() => parseXml('<a>&#1;</a>')).toThrow();
    expect(() => parseXml('<a/><b/>')).toThrow();
    expect(parseXml('<a x="&lt;&#10;"><b/>t&amp;</a>')).toMatchObject({
      attributes: { x: '<\n' },
      text: 't&',
    });
  });
});
