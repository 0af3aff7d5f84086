/**
 * Renders a kustomization with the best renderer available: a `kustomize` binary, else
 * `kubectl kustomize` when its embedded kustomize is v4 or newer, else kustomize-lite (see
 * kustomize-lite.ts for why it exists and how it is kept honest).
 */
import { parseAllDocuments } from 'yaml';
import { which, runOk } from './tools.js';
import { renderLite, type K8sObject } from './kustomize-lite.js';

export type Renderer = { name: string; real: boolean; render(dir: string): K8sObject[] };

function parseStream(text: string): K8sObject[] {
  return parseAllDocuments(text).map((d) => d.toJS() as K8sObject).filter(Boolean);
}

export function realKustomize(): Renderer | undefined {
  const bin = process.env.KUSTOMIZE_BIN ?? which('kustomize');
  if (bin) return { name: bin, real: true, render: (dir) => parseStream(runOk(bin, ['build', dir])) };
  const kubectl = which('kubectl');
  if (kubectl) {
    try {
      const v = JSON.parse(runOk(kubectl, ['version', '--client', '-o', 'json'])) as { kustomizeVersion?: string };
      const major = Number(/^v?(\d+)/.exec(v.kustomizeVersion ?? '')?.[1] ?? 0);
      if (major >= 4) {
        return { name: `kubectl kustomize (${v.kustomizeVersion})`, real: true, render: (dir) => parseStream(runOk(kubectl, ['kustomize', dir])) };
      }
    } catch {
      /* an old or broken kubectl: fall through */
    }
  }
  return undefined;
}

export const liteRenderer: Renderer = { name: 'kustomize-lite', real: false, render: renderLite };

/** INFRA_KUSTOMIZE=lite forces the fallback (to see what a machine without kustomize does). */
export function bestRenderer(): Renderer {
  if (process.env.INFRA_KUSTOMIZE === 'lite') return liteRenderer;
  return realKustomize() ?? liteRenderer;
}
