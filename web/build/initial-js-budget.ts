/**
 * A Vite plugin that prints, after `vite build`, the gzip size of the JavaScript a browser must
 * load before the first screen shows: an HTML entry's chunk plus every chunk it imports
 * statically (transitively). Lazy routes (dynamic imports) are not counted. Fails the build
 * when the main entry is over budget, so the first screen cannot grow unnoticed.
 */
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** The subset of Rollup/Rolldown's output chunk this plugin reads. */
interface ChunkLike {
  readonly type: 'chunk';
  readonly fileName: string;
  readonly code: string;
  readonly isEntry: boolean;
  readonly facadeModuleId: string | null;
  readonly imports: readonly string[];
}

export interface InitialJs {
  readonly entry: string;
  readonly files: readonly string[];
  readonly gzipBytes: number;
  readonly rawBytes: number;
}

/** Sums an entry chunk and its static imports, each file once. */
export function initialJs(bundle: Readonly<Record<string, ChunkLike | { type: 'asset' }>>, entry: ChunkLike): InitialJs {
  const seen = new Set<string>();
  const queue = [entry.fileName];
  let gzipBytes = 0;
  let rawBytes = 0;
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const chunk = bundle[name];
    if (!chunk || chunk.type !== 'chunk') continue;
    rawBytes += Buffer.byteLength(chunk.code);
    gzipBytes += gzipSync(chunk.code, { level: 9 }).length;
    queue.push(...chunk.imports);
  }
  return { entry: entry.fileName, files: [...seen], gzipBytes, rawBytes };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/**
 * @param budgets gzip budget in KB per HTML entry file name (e.g. `{ 'index.html': 250 }`);
 *   entries without a budget are reported only.
 */
export function initialJsBudget(budgets: Readonly<Record<string, number>>): Plugin {
  return {
    name: 'initial-js-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      const chunks = Object.values(bundle) as (ChunkLike | { type: 'asset' })[];
      const entries = chunks.filter((c): c is ChunkLike => c.type === 'chunk' && c.isEntry && !!c.facadeModuleId?.endsWith('.html'));
      const over: string[] = [];
      for (const entry of entries) {
        const html = entry.facadeModuleId!.split('/').pop()!;
        const size = initialJs(bundle as Record<string, ChunkLike>, entry);
        const budget = budgets[html];
        const verdict = budget === undefined ? '' : size.gzipBytes <= budget * 1024 ? ` (budget ${budget} KB: ok)` : ` (budget ${budget} KB: OVER)`;
        // Printed on purpose: the build's headline number for the first screen.
        console.log(`initial JS for ${html}: ${kb(size.gzipBytes)} gzip, ${kb(size.rawBytes)} raw, ${size.files.length} file(s)${verdict}`);
        if (budget !== undefined && size.gzipBytes > budget * 1024) over.push(html);
      }
      if (over.length > 0) this.error(`initial JavaScript over budget for ${over.join(', ')}; lazy-load more (see web/vite.config.ts).`);
    },
  };
}
