import { describe, expect, it } from 'vitest';
import { acceptCard, acceptIban, acceptUsSsn, ibanValid, ipv6Valid, luhnValid } from './checks.js';

describe('luhnValid', () => {
  it('accepts test card numbers and refuses one digit off', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('378282246310005')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
  });
});

describe('acceptCard', () => {
  it('drops a trailing group that breaks the check', () => {
    expect(acceptCard('4111 1111 1111 1111 202')).toBe('4111 1111 1111 1111'.length);
  });
  it('refuses too few digits and non-Luhn numbers', () => {
    expect(acceptCard('424242424242')).toBe(0);
    expect(acceptCard('4111111111111112')).toBe(0);
  });
});

describe('ibanValid / acceptIban', () => {
  it('checks mod 97', () => {
    expect(ibanValid('DE89370400440532013000')).toBe(true);
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanValid('DE89370400440532013001')).toBe(false);
  });
  it('cuts a following word off a grouped IBAN', () => {
    expect(acceptIban('DE89 3704 0044 0532 0130 00 ABCD')).toBe(
      'DE89 3704 0044 0532 0130 00'.length,
    );
  });
});

describe('acceptUsSsn', () => {
  it('refuses numbers never issued', () => {
    expect(acceptUsSsn('123-45-6789')).toBe(11);
    for (const ssn of ['000-12-3456', '666-12-3456', '900-12-3456', '123-00-4567', '123-45-0000'])
      expect(acceptUsSsn(ssn)).toBe(0);
  });
});

describe('ipv6Valid', () => {
  it.each([
    '::1',
    '::',
    '2001:db8::1',
    '2001:0db8:0000:0000:0000:ff00:0042:8329',
    '::ffff:192.0.2.1',
    'fe80::1%eth0',
    '1::',
  ])('accepts %s', (text) => {
    expect(ipv6Valid(text)).toBe(true);
  });
  it.each([
    '12:30:45',
    '00:1a:2b:3c:4d:5e',
    '1:2:3:4:5:6:7',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '12345::1',
    '::ffff:300.0.0.1',
    ':1:2:3:4:5:6:7',
  ])('refuses %s', (text) => {
    expect(ipv6Valid(text)).toBe(false);
  });
});
