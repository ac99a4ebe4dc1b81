/**
 * A strict, small XML 1.0 well-formedness checker for tests (no XML parser is a dependency): it throws on
 * anything a conforming parser would reject that our renderers could produce, and returns the element tree.
 */

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = '[A-Za-z_:][-A-Za-z0-9_.:]*';
const INVALID_CHAR =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const OPEN_TAG = new RegExp(`^<(${NAME})((?:\\s+${NAME}\\s*=\\s*(?:"[^"<]*"|'[^'<]*'))*)\\s*(/?)>`);
const ATTRIBUTE = new RegExp(`(${NAME})\\s*=\\s*(?:"([^"<]*)"|'([^'<]*)')`, 'g');
const CLOSE_TAG = new RegExp(`^</(${NAME})\\s*>`);
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function parseXml(xml: string): XmlElement {
  const invalid = INVALID_CHAR.exec(xml);
  if (invalid)
    throw new Error(
      `invalid XML character U+${invalid[0].charCodeAt(0).toString(16)} at ${invalid.index}`,
    );
  let rest = xml.replace(/^<\?xml[^?]*\?>/, '');
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (rest.length > 0) {
    if (rest.startsWith('<!--')) {
      const end = rest.indexOf('-->');
      if (end < 0) throw new Error('unterminated comment');
      rest = rest.slice(end + 3);
      continue;
    }
    const close = CLOSE_TAG.exec(rest);
    if (close) {
      const open = stack.pop();
      if (open?.name !== close[1])
        throw new Error(`</${close[1]}> closes <${open?.name ?? 'nothing'}>`);
      rest = rest.slice(close[0].length);
      continue;
    }
    const tag = OPEN_TAG.exec(rest);
    if (tag) {
      const element: XmlElement = {
        name: tag[1] ?? '',
        attributes: parseAttributes(tag[2] ?? ''),
        children: [],
        text: '',
      };
      const parent = stack.at(-1);
      if (parent) parent.children.push(element);
      else if (root) throw new Error('more than one root element');
      else root = element;
      if (tag[3] !== '/') stack.push(element);
      rest = rest.slice(tag[0].length);
      continue;
    }
    if (rest.startsWith('<')) throw new Error(`malformed markup: ${rest.slice(0, 40)}`);
    const next = rest.indexOf('<');
    const raw = next < 0 ? rest : rest.slice(0, next);
    if (raw.includes(']]>')) throw new Error(']]> in text');
    const parent = stack.at(-1);
    if (parent) parent.text += decode(raw);
    else if (raw.trim() !== '') throw new Error(`text outside the root: ${raw.slice(0, 40)}`);
    rest = next < 0 ? '' : rest.slice(next);
  }
  if (stack.length > 0) throw new Error(`<${stack.at(-1)?.name}> is never closed`);
  if (!root) throw new Error('no root element');
  return root;
}

function parseAttributes(source: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of source.matchAll(ATTRIBUTE)) {
    const name = match[1] ?? '';
    if (name in attributes) throw new Error(`duplicate attribute ${name}`);
    attributes[name] = decode(match[2] ?? match[3] ?? '');
  }
  return attributes;
}

function decode(text: string): string {
  if (/&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);)/.test(text))
    throw new Error(`bare & in ${text.slice(0, 40)}`);
  return text.replace(/&(#x[0-9A-Fa-f]+|#[0-9]+|[a-z]+);/g, (_, ref: string) => {
    if (!ref.startsWith('#')) return NAMED[ref] ?? '';
    const char = String.fromCodePoint(
      ref.startsWith('#x') ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10),
    );
    if (INVALID_CHAR.test(char))
      throw new Error(`character reference &${ref}; is not an XML character`);
    return char;
  });
}

/** Every element below (and including) `root` with the given name, in document order. */
export function elements(root: XmlElement, name: string): XmlElement[] {
  const found = root.name === name ? [root] : [];
  return found.concat(...root.children.map((child) => elements(child, name)));
}
