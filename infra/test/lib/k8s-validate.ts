/**
 * Validates rendered Kubernetes objects offline, two ways:
 *
 * 1. kubernetes-models (and its prometheus-operator / flux-cd CRD packages): each model's
 *    `validate()` runs the JSON-schema validator compiled from the Kubernetes OpenAPI spec (or
 *    the CRD's schema): types, enums, formats, required fields.
 * 2. Unknown fields, which those schemas accept silently (Kubernetes' OpenAPI does not set
 *    additionalProperties: false, and the API server would drop or reject them later): every
 *    object is type-checked as an object literal against the same package's TypeScript
 *    interface for its kind (`IDeployment`, `IServiceMonitor`, ...), generated from the same
 *    schema. TypeScript's excess-property check then flags any key the schema does not know,
 *    at any depth, and names it.
 */
import ts from 'typescript';
import { join } from 'node:path';
import { INFRA } from './tools.js';
import type { K8sObject } from './kustomize-lite.js';

/** The module (without extension) that defines a kind's model, or undefined when none does. */
export function modelModule(apiVersion: string, kind: string): string | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === 'monitoring.coreos.com') return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  if (group!.endsWith('.toolkit.fluxcd.io')) return `@kubernetes-models/flux-cd/${group}/${version}/${kind}`;
  if (group === '') return `kubernetes-models/${version}/${kind}`;
  if (group!.includes('.') && !group!.endsWith('.k8s.io')) return undefined;
  return `kubernetes-models/${group}/${version}/${kind}`;
}

export type Problem = { object: string; message: string };

function label(o: K8sObject): string {
  return `${o.kind}/${o.metadata?.name ?? '?'}`;
}

/** Schema validation through the models' validate(). */
export async function validateWithModels(objects: K8sObject[]): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const o of objects) {
    const mod = modelModule(o.apiVersion, o.kind);
    if (!mod) { problems.push({ object: label(o), message: `no model for ${o.apiVersion} ${o.kind}` }); continue; }
    let Model: new (data: unknown) => { validate(): void };
    try {
      Model = ((await import(mod)) as Record<string, new (data: unknown) => { validate(): void }>)[o.kind]!;
    } catch (e) {
      problems.push({ object: label(o), message: `cannot load model ${mod}: ${(e as Error).message}` });
      continue;
    }
    try {
      new Model(structuredClone(o)).validate();
    } catch (e) {
      problems.push({ object: label(o), message: (e as Error).message });
    }
  }
  return problems;
}

/** Unknown-field (and type) check through the models' TypeScript interfaces. */
export function checkKnownFields(objects: K8sObject[]): Problem[] {
  const fileName = join(INFRA, 'test', '__k8s_fields_check__.ts');
  const lines: string[] = [];
  const owners: { from: number; to: number; object: string }[] = [];
  const problems: Problem[] = [];
  objects.forEach((o, i) => {
    const mod = modelModule(o.apiVersion, o.kind);
    if (!mod) { problems.push({ object: label(o), message: `no model for ${o.apiVersion} ${o.kind}` }); return; }
    const from = lines.length;
    lines.push(`import type { I${o.kind} as T${i} } from ${JSON.stringify(mod)};`);
    lines.push(`export const o${i}: T${i} = ${JSON.stringify(o, null, 1)};`);
    owners.push({ from, to: lines.join('\n').split('\n').length, object: label(o) });
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
  for (const d of ts.getPreEmitDiagnostics(program, sf)) {
    const line = d.start !== undefined ? sf.getLineAndCharacterOfPosition(d.start).line : -1;
    const owner = owners.find((w) => line >= w.from && line < w.to);
    problems.push({ object: owner?.object ?? '?', message: ts.flattenDiagnosticMessageText(d.messageText, '\n') });
  }
  return problems;
}
