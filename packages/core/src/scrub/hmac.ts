const encoder = new TextEncoder();

/**
 * HMAC-SHA-256 as uppercase hex, through Web Crypto: core runs in Web runtimes too, so no `node:crypto`.
 * Keyed rather than a bare digest so that a short value (an IP, a card number) cannot be found again by
 * hashing every candidate. The key is imported once, on first use.
 */
export function createHmac(secret: string): (text: string) => Promise<string> {
  let key: Promise<CryptoKey> | undefined;
  return async (text) => {
    key ??= crypto.subtle.importKey(
      'raw',
      encoder.encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    const signature = new Uint8Array(
      await crypto.subtle.sign('HMAC', await key, encoder.encode(text)),
    );
    let hex = '';
    for (const byte of signature) hex += byte.toString(16).padStart(2, '0');
    return hex.toUpperCase();
  };
}
