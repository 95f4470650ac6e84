import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findLinks } from '../../modules/suspicious-messages/message-links.ts';
import { htmlToText } from './html-text.ts';

const text = (html: string, maxChars = 1_000_000) => htmlToText(html, { maxDepth: 100, maxChars }).text;

test('nothing a browser would run, fetch or hide is in the text', () => {
  const html = `<html><head><title>Refund page</title><meta charset="utf-8"><style>p{color:red}</style>
    <script>var secret = 1;</script></head>
    <body><p>Dear resident,</p>
    <noscript>Enable scripts</noscript><template><p>template text</p></template>
    <iframe src="https://evil.example/frame">frame text</iframe>
    <object data="x.swf">object text</object><embed src="y.swf">
    <form action="https://evil.example/card"><input name="card"><button>Pay by card</button></form>
    <svg><text>svg text</text><style>svg{}</style></svg>
    <img src="https://tracker.example/pixel.gif" alt="pixel alt">
    <p>Yours, the council</p></body></html>`;
  assert.equal(text(html), 'Dear resident,\n\nYours, the council');
});

test('entities are decoded, and broken ones are left as they were written', () => {
  assert.equal(
    text('Caf&eacute; &pound;312.40 &#x41;&#66; &lt;b&gt; &amp fish &nosuch; &#xZZ;'),
    'Café £312.40 AB <b> & fish &nosuch; &#xZZ;',
  );
  assert.equal(text('<a href="https://a.example/?x=1&amp;y=2">Go</a>'), 'Go [https://a.example/?x=1&y=2]');
});

test('white space collapses as in a browser; a no-break space stays', () => {
  assert.equal(
    text('  Your\n\t refund   is <b>wait</b>ing.\u200bNow&nbsp;&nbsp;call  '),
    'Your refund is waiting. Now\u00a0\u00a0call',
  );
});

test('block elements keep the layout: lines, paragraphs, lists, headings, quotations, rules and tables', () => {
  assert.equal(text('<div>one</div><div>two</div>three<br>four<br><br>five'), 'one\ntwo\nthree\nfour\n\nfive');
  assert.equal(text('<p>First paragraph</p><p>Second</p>'), 'First paragraph\n\nSecond');
  assert.equal(text('<h1>Refund &amp; rebate</h1><p>Text</p>'), 'REFUND & REBATE\n\nText');
  assert.equal(
    text('<p>Steps:</p><ul><li>one<li>two<ul><li>inner</ul></ul><ol start="3"><li>three</li><li>four</li></ol>'),
    'Steps:\n\n * one\n * two\n   * inner\n\n 3. three\n 4. four',
  );
  assert.equal(text('<blockquote><p>Quoted</p><p>again</p></blockquote>After'), '> Quoted\n>\n> again\n\nAfter');
  assert.equal(text('Above<hr>Below'), `Above\n\n${'-'.repeat(40)}\n\nBelow`);
  assert.equal(text('<pre>\n  keep   this\n  as is\n</pre>Next'), '  keep   this\n  as is\n\nNext');
  assert.equal(
    text('<table><tr><td>Call</td><td>0800 123 456</td></tr><tr><th>Ref</th><td>AB12</td></tr></table>End'),
    'Call 0800 123 456\nRef AB12\n\nEnd',
  );
});

test('a link keeps its address beside its words, in the form message-links reads', () => {
  const converted = text(
    '<p>Claim at <a href="https://evil.example/claim">westminster.gov.uk</a> today.</p>' +
      '<p><a href="https://www.westminster.gov.uk/">https://www.westminster.gov.uk/</a></p>' +
      '<p><a href="mailto:help@westminster.gov.uk">email us</a> <a href="#top">Back to top</a></p>' +
      '<p><a href="https://img.example/go"><img src="banner.png"></a></p>' +
      '<p><a href=" https://spaced.example/x "><div>Block words</div></a></p>',
  );
  assert.equal(
    converted,
    'Claim at westminster.gov.uk [https://evil.example/claim] today.\n\n' +
      'https://www.westminster.gov.uk/\n\n' +
      'email us [help@westminster.gov.uk] Back to top\n\n' +
      'https://img.example/go\n\n' +
      'Block words [https://spaced.example/x]',
  );
  const claim = findLinks(converted).find((link) => link.url === 'https://evil.example/claim');
  assert.equal(claim?.shownAs, 'westminster.gov.uk');
});

test('a head that is never closed ends where the body starts; a head inside the body hides nothing', () => {
  assert.equal(text('<html><head><title>T</title><style>x{}</style><p>Shown text'), 'Shown text');
  assert.equal(text('<body><head><title>T</title><div>Shown anyway</div></body>'), 'Shown anyway');
});

test('a skipped element ends with the element it was opened in, as in a browser', () => {
  assert.equal(
    text('<table><tr><td><form><input name="card">Card number<td>Shown cell</table>After'),
    'Shown cell\n\nAfter',
  );
  assert.equal(text('<div><form><p>Hidden</div><p>Shown'), 'Shown');
  assert.equal(text('<form><div>Hidden</div><p>hidden too</p></form>Shown'), 'Shown');
  // A form left open in the head ends with it.
  assert.equal(text('<html><head><title>T</title><form action="x"><input></head><body>Body text'), 'Body text');
});

test('an address shown for a link with no words stays apart from the words after it', () => {
  assert.equal(
    text('<a href="http://a.example/rk"><img src="x.jpg"><br><a href="http://a.example/remove">To be removed</a>'),
    'http://a.example/rk To be removed [http://a.example/remove]',
  );
  assert.equal(
    text('<pre>Please Click <a href="http://a.example/app">HERE</a>\n</pre>'),
    'Please Click HERE [http://a.example/app]',
  );
});

test('text outside the body is shown, as a browser shows it', () => {
  assert.equal(text('<html><body><p>Offer</p></body></html>\nList footer'), 'Offer\n\nList footer');
});

test('broken HTML ends cleanly: unclosed tags, comments and attributes at the end', () => {
  assert.equal(text('Before<!-- never closed <p>hidden'), 'Before');
  assert.equal(text('Before<a href="https://x.example/ never closed'), 'Before');
  assert.equal(text('Before<script>never closed'), 'Before');
  assert.equal(text('<a href="https://x.example/">Unclosed link'), 'Unclosed link [https://x.example/]');
  assert.equal(text('1 < 2 and 3 > 2'), '1 < 2 and 3 > 2');
});

test('depth does not matter to the text: deep tags are left out and counted, their text kept', () => {
  const deep = `${'<div>'.repeat(50_000)}Claim at https://claim.example.top/r${'</span>'.repeat(50_000)}`;
  const converted = htmlToText(deep, { maxDepth: 100, maxChars: 1_000_000 });
  assert.equal(converted.text, 'Claim at https://claim.example.top/r');
  assert.equal(converted.droppedTags, 49_900 + 49_900);
  // A skipped element past the limit still hides what it holds.
  assert.equal(text(`${'<b>'.repeat(200)}Shown<script>hidden()</script>`), 'Shown');
});

test('the text stops at maxChars and says it was cut', () => {
  const converted = htmlToText(`<p>${'word '.repeat(1000)}</p>`, { maxDepth: 100, maxChars: 100 });
  assert.equal(converted.text.length, 100);
  assert.equal(converted.truncated, true);
  assert.ok(converted.text.startsWith('word word'));
  const rules = htmlToText('<hr>'.repeat(100_000), { maxDepth: 100, maxChars: 5000 });
  assert.equal(rules.text.length, 5000);
  assert.equal(htmlToText('<p>short</p>', { maxDepth: 100, maxChars: 100 }).truncated, false);
});
