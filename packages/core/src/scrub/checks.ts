// Validators that turn a regex candidate into a verdict. Each returns how many leading characters of the
// candidate are the real thing (0: none). Candidates may run past the value into a following group of
// digits or letters ("4111 1111 1111 1111 2024", "DE89 3704 0044 0532 0130 00 EUR"), so those that allow
// separators retry without their last group instead of giving up on the whole candidate.

/** Drops the last separator-delimited group until `valid` accepts what is left; 0 when nothing is. */
function longestValidPrefix(candidate: string, valid: (text: string) => boolean): number {
  let end = candidate.length;
  for (;;) {
    if (valid(candidate.slice(0, end))) return end;
    const cut = Math.max(candidate.lastIndexOf(' ', end - 1), candidate.lastIndexOf('-', end - 1));
    if (cut <= 0) return 0;
    end = cut;
  }
}

/** The Luhn (mod 10) check over a string of ASCII digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

function isCardNumber(text: string): boolean {
  const digits = text.replace(/[ -]/g, '');
  return digits.length >= 13 && digits.length <= 19 && luhnValid(digits);
}

/** A card number: 13 to 19 digits, separators allowed, passing Luhn. */
export function acceptCard(candidate: string): number {
  return longestValidPrefix(candidate, isCardNumber);
}

/** ISO 13616: move the first four characters to the end, letters become 10..35, the number mod 97 is 1. */
export function ibanValid(compact: string): boolean {
  if (compact.length < 15 || compact.length > 34) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const code = rearranged.charCodeAt(i);
    // Digits add one decimal place, letters (A=10 .. Z=35) two; the remainder stays small either way.
    remainder =
      code <= 57 ? (remainder * 10 + (code - 48)) % 97 : (remainder * 100 + (code - 55)) % 97;
  }
  return remainder === 1;
}

/** An IBAN, compact or in groups of four separated by single spaces. */
export function acceptIban(candidate: string): number {
  return longestValidPrefix(candidate, (text) => ibanValid(text.replace(/ /g, '')));
}

/** A US SSN as AAA-GG-SSSS: the area is never 000, 666 or 9xx, the group never 00, the serial never 0000. */
export function acceptUsSsn(candidate: string): number {
  const area = candidate.slice(0, 3);
  const valid =
    area !== '000' &&
    area !== '666' &&
    area[0] !== '9' &&
    candidate.slice(4, 6) !== '00' &&
    candidate.slice(7) !== '0000';
  return valid ? candidate.length : 0;
}

function ipv4Valid(text: string): boolean {
  const parts = text.split('.');
  return (
    parts.length === 4 && parts.every((part) => /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(part))
  );
}

/** RFC 4291 text forms: eight groups, or fewer around one `::`, the last two may be a dotted IPv4; a zone after `%`. */
export function ipv6Valid(candidate: string): boolean {
  const zone = candidate.indexOf('%');
  const address = zone === -1 ? candidate : candidate.slice(0, zone);
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((half) => (half === '' ? [] : half.split(':')));
  let count = groups.length;
  const last = groups[groups.length - 1];
  if (last?.includes('.')) {
    if (!ipv4Valid(last)) return false;
    groups.pop();
    count += 1; // a dotted IPv4 fills two 16-bit groups
  }
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

export function acceptIpv6(candidate: string): number {
  return ipv6Valid(candidate) ? candidate.length : 0;
}
