/**
 * Checks plain data (parsed YAML/JSON) against TypeScript types published by a package, by
 * type-checking it as object literals: `export const v0: Type = <the data>;`. TypeScript's
 * excess-property check then reports any key the type does not declare, at any depth, and
 * wrong value types. (It reports the first excess key of each literal; fix and rerun.)
 * One in-memory program for all items keeps it to a couple of seconds.
 */
import ts from 'typescript';
import { join } from 'node:path';
import { INFRA } from './tools.js';

export type Problem = { object: string; message: string };
export type Item = { module: string; type: string; value: unknown; label: string };

export function typecheckLiterals(items: Item[]): Problem[] {
  const fileName = join(INFRA, 'test', '__typecheck__.ts');
  const lines: string[] = [];
  const owners: { from: number; to: number; label: string }[] = [];
  items.forEach((item, i) => {
    const from = lines.length;
    lines.push(`import type { ${item.type} as T${i} } from ${JSON.stringify(item.module)};`);
    for (const l of `export const v${i}: T${i} = ${JSON.stringify(item.value, null, 1)};`.split('\n')) lines.push(l);
    owners.push({ from, to: lines.length, label: item.label });
  });
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError, create) =>
    name === fileName ? ts.createSourceFile(name, source, lang, true) : getSourceFile(name, lang, onError, create);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const program = ts.createProgram([fileName], options, host);
  const sf = program.getSourceFile(fileName)!;
  return ts.getPreEmitDiagnostics(program, sf).map((d) => {
    const line = d.start !== undefined ? sf.getLineAndCharacterOfPosition(d.start).line : -1;
    const owner = owners.find((w) => line >= w.from && line < w.to);
    const where = d.start !== undefined ? ` (near: ${source.slice(d.start, d.start + 60).replace(/\s+/g, ' ')})` : '';
    return { object: owner?.label ?? '?', message: ts.flattenDiagnosticMessageText(d.messageText, '\n') + where };
  });
}
