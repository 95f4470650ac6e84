// Test support: a strict little XML reader, enough to check that a feed is well-formed (every tag
// closed, entities valid, nothing stray) and to walk its elements. No XML library is a dependency.
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string): string {
  if (raw.includes('<')) throw new Error('"<" in text or attribute');
  return raw.replace(/&([^;\s]*);?/g, (whole, name: string) => {
    if (!whole.endsWith(';')) throw new Error(`bare "&" near ${JSON.stringify(whole)}`);
    if (name in ENTITIES) return ENTITIES[name] as string;
    const numeric = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(name);
    if (numeric?.[1]) return String.fromCodePoint(Number(numeric[1].startsWith('x') ? `0${numeric[1]}` : numeric[1]));
    throw new Error(`unknown entity &${name};`);
  });
}

const TOKEN =
  /<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<\/([A-Za-z_][\w.:-]*)\s*>|<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|[^<]+/y;

export function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' };
  const stack = [root];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < xml.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(xml);
    if (!m) throw new Error(`not well-formed at ${at}: ${JSON.stringify(xml.slice(at, at + 40))}`);
    const top = stack.at(-1) as XmlElement;
    const [token, closing, opening, attrs, selfClosing] = m;
    if (token.startsWith('<?') || token.startsWith('<!--')) continue;
    if (closing) {
      if (top.name !== closing) throw new Error(`</${closing}> closes <${top.name}>`);
      stack.pop();
    } else if (opening) {
      const element: XmlElement = { name: opening, attributes: {}, children: [], text: '' };
      for (const a of (attrs ?? '').matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        if ((a[1] as string) in element.attributes) throw new Error(`attribute ${a[1]} repeated`);
        element.attributes[a[1] as string] = decode(a[2] ?? a[3] ?? '');
      }
      top.children.push(element);
      if (!selfClosing) stack.push(element);
    } else {
      if (stack.length === 1 && token.trim()) throw new Error('text outside the root element');
      top.text += decode(token);
    }
  }
  if (stack.length !== 1) throw new Error(`<${stack.at(-1)?.name}> is not closed`);
  if (root.children.length !== 1) throw new Error('a document has exactly one root element');
  return root.children[0] as XmlElement;
}

export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}
