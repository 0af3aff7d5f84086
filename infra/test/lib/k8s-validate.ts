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
import type { K8sObject } from './kustomize-lite.js';
import { typecheckLiterals, type Item, type Problem } from './typecheck.js';

/** The module (without extension) that defines a kind's model, or undefined when none does. */
export function modelModule(apiVersion: string, kind: string): string | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === 'monitoring.coreos.com') return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  if (group!.endsWith('.toolkit.fluxcd.io')) return `@kubernetes-models/flux-cd/${group}/${version}/${kind}`;
  if (group === '') return `kubernetes-models/${version}/${kind}`;
  if (group!.includes('.') && !group!.endsWith('.k8s.io')) return undefined;
  return `kubernetes-models/${group}/${version}/${kind}`;
}

export type { Problem };

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
  const problems: Problem[] = [];
  const items: Item[] = [];
  for (const o of objects) {
    const mod = modelModule(o.apiVersion, o.kind);
    if (!mod) problems.push({ object: label(o), message: `no model for ${o.apiVersion} ${o.kind}` });
    else items.push({ module: mod, type: `I${o.kind}`, value: o, label: label(o) });
  }
  return [...problems, ...typecheckLiterals(items)];
}
