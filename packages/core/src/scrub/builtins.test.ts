import { describe, expect, it } from 'vitest';
import { ibanValid } from './checks.js';
import { compileScrubber } from './scrubber.js';

/** The value of `v` after scrubbing `{ v: input }` with one rule. */
async function scrubbed(rule: string, input: string): Promise<unknown> {
  const holder = { v: input };
  await compileScrubber({ rules: [rule] }).scrub(holder);
  return holder.v;
}

describe('@email', () => {
  it('replaces addresses with [email]', async () => {
    expect(await scrubbed('@email', 'mail alice.smith+tag@mail.example.co.uk now')).toBe(
      'mail [email] now',
    );
    expect(await scrubbed('@email', 'mailto:bob@example.com')).toBe('mailto:[email]');
    expect(await scrubbed('@email', 'https://x.test/?to=bob@example.com&a=1')).toBe(
      'https://x.test/?to=[email]&a=1',
    );
  });
  it('leaves look-alikes', async () => {
    for (const text of ['logo@2x.png', 'user@localhost', '@sentry/browser@8.1.0', 'a@b.c'])
      expect(await scrubbed('@email', text)).toBe(text);
  });
});

describe('@ip', () => {
  it('replaces IPv4 and IPv6 addresses with [ip]', async () => {
    expect(await scrubbed('@ip', 'from 192.168.0.1, then 10.0.0.255.')).toBe(
      'from [ip], then [ip].',
    );
    expect(await scrubbed('@ip', 'http://127.0.0.1:8080/x')).toBe('http://[ip]:8080/x');
    expect(await scrubbed('@ip', 'peer 2001:db8::ff00:42:8329 and ::1')).toBe('peer [ip] and [ip]');
    expect(await scrubbed('@ip', 'mapped ::ffff:192.0.2.1 end')).toBe('mapped [ip] end');
    expect(await scrubbed('@ip', 'http://[fe80::1]:80/')).toBe('http://[[ip]]:80/');
  });
  it('leaves versions, times, MAC addresses and scopes', async () => {
    for (const text of [
      'version 1.2.3',
      'build 1.2.3.4.5',
      'Mozilla/5.0 Chrome/120.0.0.0 Safari/537.36',
      'v1.2.3.4',
      'at 12:30:45',
      'mac 00:1a:2b:3c:4d:5e',
      'std::vector',
      '256.1.1.1',
      '0.4.4.4.4',
    ]) {
      expect(await scrubbed('@ip', text)).toBe(text);
    }
  });
});

describe('@creditcard', () => {
  it('replaces Luhn-valid numbers with [creditcard]', async () => {
    expect(await scrubbed('@creditcard', 'card 4111 1111 1111 1111 exp')).toBe(
      'card [creditcard] exp',
    );
    expect(await scrubbed('@creditcard', '5555-5555-5555-4444')).toBe('[creditcard]');
    expect(await scrubbed('@creditcard', 'amex 378282246310005')).toBe('amex [creditcard]');
    expect(await scrubbed('@creditcard', '4111 1111 1111 1111 2024')).toBe('[creditcard] 2024');
  });
  it('leaves non-Luhn numbers, timestamps and decimals', async () => {
    for (const text of [
      '4111111111111112',
      'ts 1712345678901',
      '1712345678901234',
      '0.4111111111111111',
      'id 41111111111111110000',
    ]) {
      expect(await scrubbed('@creditcard', text)).toBe(text);
    }
  });
});

describe('@iban', () => {
  it('replaces IBANs with [iban]', async () => {
    expect(await scrubbed('@iban', 'to DE89370400440532013000.')).toBe('to [iban].');
    expect(await scrubbed('@iban', 'to GB82 WEST 1234 5698 7654 32 EUR')).toBe('to [iban] EUR');
  });
  it('leaves strings that fail mod 97', async () => {
    for (const text of ['DE89370400440532013001', 'AB12CDEFGHIJKLMNOP'])
      expect(await scrubbed('@iban', text)).toBe(text);
  });
});

describe('@usssn', () => {
  it('replaces SSNs with [us-ssn]', async () => {
    expect(await scrubbed('@usssn', 'ssn 123-45-6789!')).toBe('ssn [us-ssn]!');
  });
  it('leaves unissued numbers, dates and longer runs', async () => {
    for (const text of ['000-12-3456', '2024-01-15', '1123-45-6789', '123-45-67890'])
      expect(await scrubbed('@usssn', text)).toBe(text);
  });
});

describe('@pemkey', () => {
  const key =
    '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nabc/def+==\n-----END RSA PRIVATE KEY-----';
  it('replaces the body of a private key block, keeping its markers', async () => {
    expect(await scrubbed('@pemkey', `key: ${key} done`)).toBe(
      'key: -----BEGIN RSA PRIVATE KEY-----\n[pemkey]\n-----END RSA PRIVATE KEY----- done',
    );
    expect(await scrubbed('@pemkey', '-----BEGIN PRIVATE KEY-----\nMIIE')).toBe(
      '-----BEGIN PRIVATE KEY-----\n[pemkey]',
    );
  });
  it('leaves public keys and certificates', async () => {
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    const pub = '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----';
    expect(await scrubbed('@pemkey', cert)).toBe(cert);
    expect(await scrubbed('@pemkey', pub)).toBe(pub);
  });
});

describe('@urlauth', () => {
  it('replaces the credentials of a URL with [auth]', async () => {
    expect(await scrubbed('@urlauth', 'GET https://alice:s3cr%40t@example.com/x')).toBe(
      'GET https://[auth]@example.com/x',
    );
    expect(await scrubbed('@urlauth', 'postgres://app@db:5432')).toBe('postgres://[auth]@db:5432');
  });
  it('leaves URLs without credentials and addresses without a scheme', async () => {
    for (const text of [
      'https://example.com/@alice',
      'git@github.com:org/repo',
      'https://example.com/?to=a@b.com',
    ]) {
      expect(await scrubbed('@urlauth', text)).toBe(text);
    }
  });
});

describe('@userpath', () => {
  it('replaces the user name of home directories with [user]', async () => {
    expect(await scrubbed('@userpath', 'at /Users/alice/project/app.js:1')).toBe(
      'at /Users/[user]/project/app.js:1',
    );
    expect(await scrubbed('@userpath', 'file:///home/bob/x.ts')).toBe('file:///home/[user]/x.ts');
    expect(await scrubbed('@userpath', 'C:\\Users\\John Smith\\AppData')).toBe(
      'C:\\Users\\[user]\\AppData',
    );
    expect(await scrubbed('@userpath', 'cd /home/carol')).toBe('cd /home/[user]');
  });
  it('leaves URL paths and other directories', async () => {
    for (const text of [
      'https://example.com/users/42',
      'https://example.com/home/welcome',
      '/var/lib/x',
      '/usr/home',
    ]) {
      expect(await scrubbed('@userpath', text)).toBe(text);
    }
  });
});

describe('@bearer', () => {
  it('replaces the token after Bearer with [token]', async () => {
    expect(
      await scrubbed(
        '@bearer',
        'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_-x',
      ),
    ).toBe('Authorization: Bearer [token]');
    expect(await scrubbed('@bearer', 'bearer abc123def456')).toBe('bearer [token]');
  });
  it('leaves prose and short words', async () => {
    for (const text of ['the bearer of this letter', 'Bearer token', 'Bearer abc1'])
      expect(await scrubbed('@bearer', text)).toBe(text);
  });
});

describe('@password', () => {
  it('filters the whole value of credential-like keys', async () => {
    const value = {
      password: 'hunter2',
      api_key: 'k',
      apiKey: 'k',
      'X-Auth-Token': 'k',
      session: 's',
      cookie: 'c',
      client_secret: 'x',
      user: 'u',
      author: 'Ann',
      authority: 'CA',
      authorisation: 'x',
    };
    await compileScrubber({ rules: ['@password'] }).scrub(value);
    expect(value).toEqual({
      password: '[Filtered]',
      api_key: '[Filtered]',
      apiKey: '[Filtered]',
      'X-Auth-Token': '[Filtered]',
      session: '[Filtered]',
      cookie: '[Filtered]',
      client_secret: '[Filtered]',
      user: 'u',
      author: 'Ann',
      authority: 'CA',
      authorisation: '[Filtered]',
    });
  });
  it('does not look at values', async () => {
    expect(await scrubbed('@password', 'wrong password for secret token')).toBe(
      'wrong password for secret token',
    );
  });
});

// The bounds that keep the patterns linear (redos.test.ts), at their edges.

/** An IBAN of `country`, right check digits, and `bban`: the only two digits that pass mod 97. */
function iban(country: string, bban: string): string {
  for (let check = 0; check < 100; check++) {
    const candidate = `${country}${String(check).padStart(2, '0')}${bban}`;
    if (ibanValid(candidate)) return candidate;
  }
  throw new Error('no check digits');
}
const grouped = (compact: string): string => compact.replace(/(.{4})(?=.)/g, '$1 ');

describe('@iban at its length bounds', () => {
  const longest = iban('XK', 'ABCD1234EFGH5678IJKL9012MNOP12'); // 34 characters, the most ISO 13616 allows
  const sevenGroups = iban('LC', 'HEMM000100010012001200023015'); // 32: seven whole groups after the first
  it('takes the longest IBAN, compact and in groups', async () => {
    expect(longest).toHaveLength(34);
    expect(await scrubbed('@iban', `to ${longest}.`)).toBe('to [iban].');
    expect(await scrubbed('@iban', `to ${grouped(longest)}.`)).toBe('to [iban].');
  });
  it('stops a run of groups at the IBAN in front of it', async () => {
    expect(await scrubbed('@iban', `${grouped(longest)} ABCD 1234`)).toBe('[iban] ABCD 1234');
    expect(await scrubbed('@iban', `${grouped(sevenGroups)} 1234 5678 9012 3456`)).toBe(
      '[iban] 1234 5678 9012 3456',
    );
  });
  it('leaves 35 characters, compact or grouped', async () => {
    const tooLong = `${longest}9`;
    expect(await scrubbed('@iban', tooLong)).toBe(tooLong);
    expect(await scrubbed('@iban', grouped(tooLong))).toBe(grouped(tooLong));
    expect(ibanValid(tooLong)).toBe(false);
  });
});

describe('@urlauth without a scheme in the pattern', () => {
  it('scrubs after any scheme, however long or odd, and after a bare //', async () => {
    expect(await scrubbed('@urlauth', 'x.git+ssh://git:tok@host/r')).toBe(
      'x.git+ssh://[auth]@host/r',
    );
    expect(await scrubbed('@urlauth', `${'a'.repeat(100)}://u:p@h`)).toBe(
      `${'a'.repeat(100)}://[auth]@h`,
    );
    expect(await scrubbed('@urlauth', 'HTTPS://U:P@H')).toBe('HTTPS://[auth]@H');
    expect(await scrubbed('@urlauth', 'see //u@h and 1http://v@h')).toBe(
      'see //[auth]@h and 1http://[auth]@h',
    );
  });
});

describe('@pemkey bodies and kinds', () => {
  it('ends the body before any whitespace in front of END', async () => {
    expect(
      await scrubbed(
        '@pemkey',
        '-----BEGIN EC PRIVATE KEY-----\r\nAAA\r\n \t\n-----END EC PRIVATE KEY-----',
      ),
    ).toBe('-----BEGIN EC PRIVATE KEY-----\r\n[pemkey]\r\n \t\n-----END EC PRIVATE KEY-----');
    expect(
      await scrubbed(
        '@pemkey',
        `-----BEGIN PRIVATE KEY-----\nA${' '.repeat(5_000)}B\n-----END PRIVATE KEY-----`,
      ),
    ).toBe('-----BEGIN PRIVATE KEY-----\n[pemkey]\n-----END PRIVATE KEY-----');
  });
  it('scrubs a cut-off body to the end, trailing whitespace included, as before', async () => {
    expect(await scrubbed('@pemkey', '-----BEGIN PRIVATE KEY-----\nMIIE  \n')).toBe(
      '-----BEGIN PRIVATE KEY-----\n[pemkey]',
    );
    expect(
      await scrubbed('@pemkey', '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----'),
    ).toBe('-----BEGIN RSA PRIVATE KEY-----\n[pemkey]');
  });
  it('knows kinds of up to four words', async () => {
    expect(
      await scrubbed(
        '@pemkey',
        '-----BEGIN A B C D PRIVATE KEY-----\nX\n-----END A B C D PRIVATE KEY-----',
      ),
    ).toBe('-----BEGIN A B C D PRIVATE KEY-----\n[pemkey]\n-----END A B C D PRIVATE KEY-----');
    const five = '-----BEGIN A B C D E PRIVATE KEY-----\nX\n-----END A B C D E PRIVATE KEY-----';
    expect(await scrubbed('@pemkey', five)).toBe(five);
  });
});

describe('@email domain labels', () => {
  it('takes inner hyphens, not a label that ends in one', async () => {
    expect(await scrubbed('@email', 'a@my--host-1.example.com')).toBe('[email]');
    expect(await scrubbed('@email', 'a@host-.example.com')).toBe('a@host-.example.com');
  });
});

describe('@userpath Windows names with spaces', () => {
  it('takes runs of spaces and tabs inside a name, not at its end', async () => {
    expect(await scrubbed('@userpath', 'C:\\Users\\John  Q\tSmith\\x')).toBe(
      'C:\\Users\\[user]\\x',
    );
    expect(await scrubbed('@userpath', 'C:\\Users\\John \\x')).toBe('C:\\Users\\[user] \\x');
  });
});
