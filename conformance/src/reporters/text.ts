/**
 * Text helpers shared by the renderers. Reports echo what relays sent back, so any string may hold bytes
 * that break a format (control characters in XML 1.0) or a terminal (escape sequences): they are made visible.
 */

/** C0 controls other than tab, LF and CR, DEL, C1 controls, lone surrogates and U+FFFE/U+FFFF. */
const UNSAFE =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Replaces characters no report format may carry with a visible stand-in: a control picture (␀, ␛, ␡) or U+FFFD. */
export function visible(text: string): string {
  return text.replace(UNSAFE, (char) => {
    const code = char.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return '\u2421';
    return '\uFFFD';
  });
}

/** `visible`, with line breaks folded to spaces, for places a line break would end: table cells, list items. */
export function oneLine(text: string): string {
  return visible(text).replace(/\s*[\r\n]+\s*/g, ' ');
}

/** Escapes for XML and HTML text and double-quoted attributes alike. */
export function escapeMarkup(text: string): string {
  return visible(text).replace(/[&<>"'\r]/g, (char) => MARKUP_ENTITIES[char] ?? char);
}

const MARKUP_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  // A raw CR would be normalised away by XML parsers.
  '\r': '&#13;',
};

/** Escapes for an XML attribute, where parsers would otherwise turn tabs and newlines into spaces. */
export function escapeXmlAttribute(text: string): string {
  return escapeMarkup(text).replace(/[\t\n]/g, (char) => (char === '\t' ? '&#9;' : '&#10;'));
}

/** `R-ORIGIN-2, R-ORIGIN-3`, or a dash when a case names none. */
export function requirementList(ids: readonly string[]): string {
  return ids.length === 0 ? '—' : ids.join(', ');
}
