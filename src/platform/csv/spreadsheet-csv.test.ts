import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { csvLine, spreadsheetSafe, toCsv } from './spreadsheet-csv.ts';

describe('CSV for spreadsheets', () => {
  test('cells a spreadsheet would run as a formula get a leading quote', () => {
    for (const risky of ['=1+1', '+44 20 7641 6000', '-2', '@SUM(A1)', '\tTab', '\rReturn']) {
      assert.equal(spreadsheetSafe(risky), `'${risky}`, JSON.stringify(risky));
    }
    for (const fine of ['Scam calls', ' =not at the start', '100,000', '']) assert.equal(spreadsheetSafe(fine), fine);
  });

  test('fields are quoted when they hold commas, quotes or line breaks; a BOM and CRLF line ends', () => {
    const csv = toCsv(
      ['A', 'B'],
      [
        ['=HYPERLINK("http://evil.example","click")', 'one, two'],
        ['line\nbreak', 'plain'],
      ],
    );
    assert.ok(csv.startsWith('\uFEFFA,B\r\n'));
    assert.equal(
      csv,
      '\uFEFFA,B\r\n"\'=HYPERLINK(""http://evil.example"",""click"")","one, two"\r\n"line\nbreak",plain\r\n',
    );
  });

  test('a line written on its own is the same as the line in a whole file', () => {
    assert.equal(csvLine(['@cmd', 'a"b']), '\'@cmd,"a""b"\r\n');
  });
});
