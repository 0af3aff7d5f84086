import { describe, expect, it } from 'vitest';
import { csvField, toCsv } from './csv';

describe('toCsv', () => {
  it('writes a header and CRLF lines, quoting what needs it', () => {
    const rows = [
      { symbol: 'AAPL', name: 'Apple, Inc.', qty: 10, px: '140.76' },
      { symbol: 'X', name: 'Say "hi"\nthere', qty: -5, px: null },
    ];
    const csv = toCsv(
      [
        { header: 'Symbol', value: (r: (typeof rows)[number]) => r.symbol },
        { header: 'Name', value: (r) => r.name },
        { header: 'Qty', value: (r) => r.qty },
        { header: 'Price', value: (r) => r.px },
      ],
      rows,
    );
    expect(csv).toBe('Symbol,Name,Qty,Price\r\nAAPL,"Apple, Inc.",10,140.76\r\nX,"Say ""hi""\nthere",-5,\r\n');
  });

  it.each([
    ['=HYPERLINK("x")', `"'=HYPERLINK(""x"")"`],
    ['+1+1', "'+1+1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['-A1', "'-A1"],
    ['-12.50', '-12.50'],
    ['\tx', "'\tx"],
  ])('keeps %j from running as a formula', (input, out) => {
    expect(csvField(input)).toBe(out);
  });
});
