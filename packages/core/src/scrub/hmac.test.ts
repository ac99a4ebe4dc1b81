import { describe, expect, it } from 'vitest';
import { createHmac } from './hmac.js';

describe('createHmac', () => {
  it('computes HMAC-SHA-256 as uppercase hex (RFC 4231, test case 2)', async () => {
    const hmac = createHmac('Jefe');
    expect(await hmac('what do ya want for nothing?')).toBe(
      '5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843',
    );
  });
});
