import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { initialJs } from '../build/initial-js-budget';

const chunk = (fileName: string, code: string, imports: string[] = [], isEntry = false) => ({
  type: 'chunk' as const,
  fileName,
  code,
  imports,
  isEntry,
  facadeModuleId: isEntry ? '/app/index.html' : null,
});

describe('initialJs', () => {
  it('sums the entry and its static imports once each, not lazy chunks', () => {
    const shared = chunk('shared.js', 'export const x = 1;'.repeat(50));
    const vendor = chunk('vendor.js', 'export const v = 2;'.repeat(80), ['shared.js']);
    const entry = chunk('app.js', 'import "./vendor.js"; import "./shared.js";', ['vendor.js', 'shared.js'], true);
    const lazy = chunk('lazy-page.js', 'export default 3;'.repeat(500), ['shared.js']);
    const bundle = { 'app.js': entry, 'vendor.js': vendor, 'shared.js': shared, 'lazy-page.js': lazy, 'app.css': { type: 'asset' as const } };

    const size = initialJs(bundle, entry);
    expect([...size.files].sort()).toEqual(['app.js', 'shared.js', 'vendor.js']);
    const gz = (c: string) => gzipSync(c, { level: 9 }).length;
    expect(size.gzipBytes).toBe(gz(entry.code) + gz(vendor.code) + gz(shared.code));
    expect(size.rawBytes).toBe(entry.code.length + vendor.code.length + shared.code.length);
  });
});
