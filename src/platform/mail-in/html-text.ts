// Turns the HTML of a message into plain text in one pass, as the HTML is tokenized: no document tree,
// no selectors, no element stack. What holds across elements (inside a skipped element, a heading, a
// list, a quotation, a link) is a handful of counters, so the time is linear in the HTML and
// independent of how deeply it nests, and the text can never be longer than `maxChars`.
//
// The text reads as a browser shows the page: whitespace collapsed, block elements on lines of their
// own and paragraphs apart, entities decoded, nothing from scripts, styles, forms, frames, embedded
// objects, SVG or the head, and no images. A link keeps its address beside its words as
// `words [address]`, the form html-to-text wrote and message-links.ts reads; the address is left out
// when it is the words themselves.
import { Tokenizer } from 'htmlparser2';

export interface HtmlTextOptions {
  /** Tags nested deeper than this are left out (their text is kept), as the caller is told. */
  maxDepth: number;
  /** Longest text made; the HTML after that point is not read. */
  maxChars: number;
}

export interface HtmlText {
  text: string;
  /** Opening and closing tags left out for being nested deeper than `maxDepth`. */
  droppedTags: number;
  /** The text reached `maxChars` and was cut there. */
  truncated: boolean;
}

/** Elements whose content is never shown. */
const SKIPPED = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'iframe',
  'object',
  'form',
  'svg',
  'head',
  'title',
]);
/** What a head holds: anything else ends a head that was never closed, as it does in a browser. */
const HEAD_CONTENT = new Set(['head', 'base', 'basefont', 'bgsound', 'link', 'meta', ...SKIPPED]);
/** Elements with no content or closing tag. */
const VOID = new Set(
  'area base basefont bgsound br col embed hr img input keygen link meta param source track wbr'.split(' '),
);
/** Elements that do not count towards the depth: those with no content, and those the next one like them closes. */
const NOT_NESTING = new Set([...VOID, ...'p li dt dd tr td th option'.split(' ')]);
/** Block elements, with the line breaks that separate them from what is around them (2: a blank line). */
const BLOCK_BREAKS = new Map<string, number>([
  ...'address article aside caption center dd details dialog dir div dl dt fieldset figcaption figure footer header hgroup legend li main menu nav section summary tr'
    .split(' ')
    .map((name): [string, number] => [name, 1]),
  ...'p blockquote h1 h2 h3 h4 h5 h6 hr pre table'.split(' ').map((name): [string, number] => [name, 2]),
]);
const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
const TABLE_PARTS = new Set(['td', 'th', 'tr']);
/** html-to-text's white space: zero-width space included, no-break space not. */
const WHITESPACE_RUN = /[ \t\r\n\f\u200b]+/g;
/** White space other than one space between words. */
const NOT_ONE_SPACE = /[\t\r\n\f\u200b]| {2}/;

function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 9 || code === 13 || code === 12 || code === 0x200b;
}
const MAX_LIST_INDENT = 10;

interface OpenList {
  ordered: boolean;
  next: number;
}

interface OpenLink {
  href: string;
  /** The link's words run together, as html-to-text compared them; only kept while it could still equal `href`. */
  words: string;
}

export function htmlToText(html: string, options: HtmlTextOptions): HtmlText {
  const { maxDepth, maxChars } = options;
  let out = '';
  let full = false;
  // Layout waiting for the next word: a space, or line breaks (which win over the space).
  let pendingSpace = false;
  let pendingBreaks = 0;
  let lineStart = true;
  let lineQuotes = 0;

  let depth = 0;
  let droppedTags = 0;
  let skipping: string | undefined;
  let skipCount = 0;
  // Elements opened inside the skipped one and not yet closed, by name (at most 1,000 names).
  const openedInSkip = new Map<string, number>();
  // Inside a head that is being skipped, a skipped element of its own (a title, a style).
  let headInner: string | undefined;
  let headInnerCount = 0;
  let headings = 0;
  let pre = 0;
  let preStart = false;
  let quotes = 0;
  const lists: OpenList[] = [];
  let itemPrefix = '';
  let link: OpenLink | undefined;

  const write = (text: string) => {
    if (full) return;
    if (out.length + text.length > maxChars) {
      out += text.slice(0, maxChars - out.length);
      full = true;
      tokenizer.pause();
    } else out += text;
  };

  /** Writes what is pending before the next piece of text: line breaks or a space, then the line's prefixes. */
  const startText = () => {
    if (pendingBreaks > 0 && out.length > 0) {
      const blankPrefix = '> '.repeat(Math.min(quotes, lineQuotes)).trimEnd();
      write(`\n${blankPrefix}`.repeat(pendingBreaks - 1) + '\n');
      lineStart = true;
    } else if (pendingSpace && !lineStart) write(' ');
    pendingBreaks = 0;
    pendingSpace = false;
    if (lineStart) {
      if (quotes > 0) write('> '.repeat(quotes));
      if (itemPrefix !== '') write(itemPrefix);
      itemPrefix = '';
      lineQuotes = quotes;
      lineStart = false;
    }
  };

  /** Words with single spaces between them: written in one piece, not word by word. */
  const addWords = (words: string) => {
    startText();
    write(headings > 0 ? words.toUpperCase() : words);
    if (link !== undefined && link.words.length <= link.href.length)
      link.words += words.includes(' ') ? words.replaceAll(' ', '') : words;
  };

  const addText = (text: string) => {
    if (skipping !== undefined || full || text === '') return;
    if (pre > 0) return addPreformatted(text);
    // Most text between tags is white space alone, and most words have single spaces between them:
    // both found by looking, so that only text that needs it is copied.
    let first = 0;
    let last = text.length;
    while (first < last && isSpace(text.charCodeAt(first))) first++;
    if (first === last) {
      pendingSpace = true;
      return;
    }
    while (isSpace(text.charCodeAt(last - 1))) last--;
    if (first > 0) pendingSpace = true;
    const words = first === 0 && last === text.length ? text : text.slice(first, last);
    addWords(NOT_ONE_SPACE.test(words) ? words.replace(WHITESPACE_RUN, ' ') : words);
    if (last < text.length) pendingSpace = true;
  };

  /** Text in <pre> keeps its white space; its closing line breaks wait, so they merge with the block's. */
  const addPreformatted = (text: string) => {
    if (preStart) {
      // A browser drops the line break that follows <pre>.
      text = text.replace(/^\r?\n/, '');
      preStart = false;
    }
    const body = text.replace(/(?:\r?\n)+$/, '');
    if (body !== '') {
      startText();
      write(body);
      if (link !== undefined && link.words.length <= link.href.length) link.words += body.replace(/\s+/g, '');
    }
    const breaks = text.length - body.length === 0 ? 0 : text.slice(body.length).split('\n').length - 1;
    if (breaks > 0) lineBreak(breaks);
  };

  const block = (breaks: number) => {
    if (breaks > pendingBreaks) pendingBreaks = breaks;
    pendingSpace = false;
  };
  const lineBreak = (count = 1) => {
    if (out.length > 0) pendingBreaks = Math.min(2, pendingBreaks + count);
  };

  const openLink = (href: string | undefined) => {
    if (link !== undefined) closeLink();
    const address = href?.trim().replace(/^mailto:/, '') ?? '';
    // A link within the page (#…) has no address worth showing.
    if (address !== '' && !address.startsWith('#')) link = { href: address, words: '' };
  };
  const closeLink = () => {
    if (link === undefined) return;
    const { href, words } = link;
    link = undefined;
    if (words === href) return;
    const address = href.replace(/[ \t\r\n\f\u200b]+/g, ' ');
    if (words === '') {
      // A link with no words (an image, say) is shown by its address.
      pendingSpace = true;
      addText(address);
      pendingSpace = true;
    } else if (!full) {
      // Beside the last word, even when a block inside the link has ended its line.
      write(` [${address}]`);
    }
  };

  // The tag being read and the attributes wanted from it.
  let tagName = '';
  let wantAttributes = false;
  let attributeName = '';
  let attributeValue = '';
  let href: string | undefined;
  let listStart: string | undefined;

  const openTag = (name: string, selfClosing: boolean) => {
    const nests = !selfClosing && !NOT_NESTING.has(name);
    let kept = true;
    if (nests && ++depth > maxDepth) {
      droppedTags++;
      kept = false;
    }
    if (skipping !== undefined) {
      if (skipping !== 'head') {
        // A cell or row starting outside any table opened in the skipped element ends the cell or row
        // it was opened in, and the skipped element with it (<td><form>…<td>); a template holds rows
        // of its own.
        if (TABLE_PARTS.has(name) && skipping !== 'template' && !openedInSkip.get('table')) skipping = undefined;
        else if (name === skipping) skipCount++;
        else if (!selfClosing && !VOID.has(name) && (openedInSkip.size < 1000 || openedInSkip.has(name)))
          openedInSkip.set(name, (openedInSkip.get(name) ?? 0) + 1);
        if (skipping !== undefined) return;
      } else if (headInner !== undefined) {
        if (name === headInner) headInnerCount++;
        return;
      } else if (SKIPPED.has(name) && name !== 'head') {
        headInner = name;
        headInnerCount = 1;
        return;
      } else if (HEAD_CONTENT.has(name)) return;
      else skipping = undefined;
    }
    if (SKIPPED.has(name) && !VOID.has(name)) {
      // Even past the depth limit: what a skipped element holds is never shown.
      skipping = name;
      skipCount = 1;
      openedInSkip.clear();
      return;
    }
    if (!kept) return;

    const breaks = BLOCK_BREAKS.get(name);
    if (breaks !== undefined) block(breaks);
    switch (name) {
      case 'br':
        lineBreak();
        break;
      case 'hr':
        addWords('-'.repeat(40));
        block(2);
        break;
      case 'a':
        openLink(href);
        break;
      case 'ul':
      case 'ol': {
        // A list within a list is set apart by a line break, not a blank line.
        block(lists.length > 0 ? 1 : 2);
        const first = Number.parseInt(listStart ?? '1', 10);
        lists.push({ ordered: name === 'ol', next: Number.isFinite(first) ? first : 1 });
        break;
      }
      case 'li': {
        const list = lists.at(-1);
        if (list === undefined) break;
        const indent = '   '.repeat(Math.min(lists.length - 1, MAX_LIST_INDENT));
        const marker = list.ordered ? `${list.next++}. ` : '* ';
        itemPrefix = lists.length === 1 ? ` ${marker}` : `${indent}${marker}`;
        break;
      }
      case 'pre':
        pre++;
        preStart = true;
        break;
      case 'blockquote':
        quotes++;
        break;
      case 'td':
      case 'th':
        pendingSpace = true;
        break;
      default:
        if (HEADINGS.has(name)) headings++;
    }
  };

  const closeTag = (name: string) => {
    // </br> is read as <br>, as browsers do.
    if (name === 'br') return openTag('br', false);
    let kept = true;
    if (!NOT_NESTING.has(name)) {
      depth = Math.max(0, depth - 1);
      if (depth >= maxDepth) {
        droppedTags++;
        kept = false;
      }
    }
    if (skipping !== undefined) {
      if (skipping === 'head' && headInner !== undefined) {
        if (name === headInner) {
          if (--headInnerCount === 0) headInner = undefined;
          return;
        }
        if (name !== 'head') return;
        // </head> ends whatever was left open in the head (a <form> there, say).
        headInner = undefined;
      }
      if (name === skipping) {
        if (--skipCount === 0) skipping = undefined;
        return;
      }
      const opened = openedInSkip.get(name) ?? 0;
      if (opened > 0) openedInSkip.set(name, opened - 1);
      if (opened > 0 || skipping === 'head' || VOID.has(name)) return;
      // It closes an element that was open before the skipped one began, and so the skipped one
      // too, as in a browser: <td><form>…</td> ends the form with the cell.
      skipping = undefined;
    }
    if (!kept) return;

    const breaks = BLOCK_BREAKS.get(name);
    if (breaks !== undefined) block(breaks);
    switch (name) {
      case 'a':
        closeLink();
        break;
      case 'ul':
      case 'ol':
        lists.pop();
        block(lists.length > 0 ? 1 : 2);
        break;
      case 'pre':
        pre = Math.max(0, pre - 1);
        break;
      case 'blockquote':
        quotes = Math.max(0, quotes - 1);
        break;
      case 'td':
      case 'th':
        pendingSpace = true;
        break;
      default:
        if (HEADINGS.has(name)) headings = Math.max(0, headings - 1);
    }
  };

  const tokenizer = new Tokenizer(
    { decodeEntities: true },
    {
      ontext: (start, end) => addText(html.slice(start, end)),
      ontextentity: (codepoint) => addText(String.fromCodePoint(codepoint)),
      onopentagname: (start, end) => {
        tagName = html.slice(start, end).toLowerCase();
        wantAttributes = tagName === 'a' || tagName === 'ol';
        href = undefined;
        listStart = undefined;
      },
      onattribname: (start, end) => {
        if (wantAttributes) {
          attributeName = html.slice(start, end).toLowerCase();
          attributeValue = '';
        }
      },
      onattribdata: (start, end) => {
        if (wantAttributes) attributeValue += html.slice(start, end);
      },
      onattribentity: (codepoint) => {
        if (wantAttributes) attributeValue += String.fromCodePoint(codepoint);
      },
      onattribend: () => {
        if (!wantAttributes) return;
        // The first of a repeated attribute counts, as in a browser.
        if (attributeName === 'href') href ??= attributeValue;
        else if (attributeName === 'start') listStart ??= attributeValue;
      },
      onopentagend: () => openTag(tagName, false),
      // Only for the depth: otherwise <div/> opens a div, as in a browser.
      onselfclosingtag: () => openTag(tagName, true),
      onclosetag: (start, end) => closeTag(html.slice(start, end).toLowerCase()),
      oncdata: () => {},
      oncomment: () => {},
      ondeclaration: () => {},
      onprocessinginstruction: () => {},
      onend: () => {},
    },
  );
  tokenizer.write(html);
  if (!full) tokenizer.end();
  if (!full) closeLink();
  return { text: out, droppedTags, truncated: full };
}
