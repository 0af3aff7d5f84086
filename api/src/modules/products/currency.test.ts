import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CURRENCY_BY_SUFFIX, currencyOf } from './currency.js';
import { repoRoot } from '../../paths.js';

describe('currencyOf', () => {
  it.each([
    ['AAPL', 'USD'],
    ['BRK-B', 'USD'],
    ['VOD.L', 'GBX'],
    ['0700.HK', 'HKD'],
    ['7203.T', 'JPY'],
    ['RELIANCE.NS', 'INR'],
    ['SAP.DE', 'EUR'],
    ['NPN.JO', 'ZAC'],
    ['TEVA.TA', 'ILA'],
    ['2330.TWO', 'TWD'],
    ['X.FGI', 'XXX'],
  ])('%s is priced in %s', (symbol, currency) => {
    expect(currencyOf(symbol)).toBe(currency);
  });

  it('knows every listing suffix of the catalog but one, and docs/API.md prints the table', () => {
    const csv = readFileSync(resolve(repoRoot, 'db/seeds/products.csv'), 'utf8');
    const suffixes = new Set(csv.split('\n').slice(1).map((l) => /^"?[^,"]*\.([A-Z0-9]+)"?,/.exec(l)?.[1]).filter((s): s is string => !!s));
    expect([...suffixes].filter((s) => !(s in CURRENCY_BY_SUFFIX))).toEqual(['FGI']);
    const doc = readFileSync(resolve(repoRoot, 'docs/API.md'), 'utf8');
    for (const [suffix, code] of Object.entries(CURRENCY_BY_SUFFIX)) expect(doc, `.${suffix}`).toMatch(new RegExp(`\\| ${code} \\|[^\\n]*\`\\.${suffix}\``));
  });
});
