/**
 * kustomize-lite: renders the SUBSET of kustomize that infra/k8s uses, for machines without a
 * kustomize binary. Debian 12 ships none (its kubernetes-client 1.20 embeds kustomize 2.0.3,
 * which predates `labels` and inline `patches`), and no npm package carries one without
 * dragging in an unrelated SDK. When a real kustomize is present (a `kustomize` binary, or
 * `kubectl kustomize` with kustomize >= 4), the tests use it AND check that this renderer
 * produces the same objects, so the two cannot drift apart unnoticed.
 *
 * Supported kustomization fields, with kustomize's semantics:
 *   apiVersion/kind, resources (YAML files, or directories holding a kustomization.yaml),
 *   namespace (set on every namespaced object), labels (pairs; includeSelectors and
 *   includeTemplates must be false or absent: metadata.labels only), images (name ->
 *   newName/newTag, in every containers/initContainers list), patches (inline JSON 6902
 *   operation lists with a target of kind and name).
 * Any other field makes it throw: extend it here, or install a real kustomize.
 */
import { readFileSync, statSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: unknown };

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'labels', 'images', 'patches']);

/** Kinds that are not namespaced (only those this repository could plausibly contain). */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume',
  'StorageClass', 'IngressClass', 'PriorityClass', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration',
]);

type Image = { name: string; newName?: string; newTag?: string; digest?: string };
type Patch = { target?: { kind?: string; name?: string }; patch?: string; path?: string };
type LabelSet = { pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean };
type Kustomization = { resources?: string[]; namespace?: string; labels?: LabelSet[]; images?: Image[]; patches?: Patch[] } & Record<string, unknown>;

export function renderLite(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  const k = parse(readFileSync(file, 'utf8')) as Kustomization;
  for (const key of Object.keys(k)) {
    if (!SUPPORTED.has(key)) throw new Error(`kustomize-lite: ${file}: field "${key}" is not supported`);
  }
  let objects: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const p = resolve(dir, r);
    if (!existsSync(p)) throw new Error(`kustomize-lite: ${file}: resource ${r} does not exist`);
    if (statSync(p).isDirectory()) objects.push(...renderLite(p));
    else objects.push(...readObjects(p));
  }
  for (const patch of k.patches ?? []) objects = applyPatch(objects, patch, file);
  if (k.namespace) {
    for (const o of objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
  }
  for (const set of k.labels ?? []) {
    if (set.includeSelectors || set.includeTemplates) throw new Error(`kustomize-lite: ${file}: labels with includeSelectors/includeTemplates are not supported`);
    for (const o of objects) o.metadata.labels = { ...(o.metadata.labels ?? {}), ...set.pairs };
  }
  for (const img of k.images ?? []) for (const o of objects) setImages(o, img);
  // kustomize refuses two objects with the same identity; so does this.
  const seen = new Set<string>();
  for (const o of objects) {
    const id = objectId(o);
    if (seen.has(id)) throw new Error(`kustomize-lite: ${file}: duplicate object ${id}`);
    seen.add(id);
  }
  return objects;
}

export function objectId(o: K8sObject): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  return `${group}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

export function readObjects(path: string): K8sObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((d) => {
      if (d.errors.length) throw new Error(`${path}: ${d.errors.map((e) => e.message).join('; ')}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

function applyPatch(objects: K8sObject[], p: Patch, file: string): K8sObject[] {
  if (p.path || !p.patch || !p.target?.kind || !p.target.name) {
    throw new Error(`kustomize-lite: ${file}: only inline JSON 6902 patches with target kind+name are supported`);
  }
  const ops = parse(p.patch) as { op: string; path: string; value?: unknown }[];
  if (!Array.isArray(ops)) throw new Error(`kustomize-lite: ${file}: patch is not a JSON 6902 list (strategic merge is not supported)`);
  const targets = objects.filter((o) => o.kind === p.target!.kind && o.metadata.name === p.target!.name);
  if (targets.length === 0) throw new Error(`kustomize-lite: ${file}: patch target ${p.target.kind}/${p.target.name} not found`);
  for (const t of targets) for (const op of ops) applyOp(t, op, file);
  return objects;
}

function pointer(path: string): string[] {
  if (!path.startsWith('/')) throw new Error(`bad JSON pointer ${path}`);
  return path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function applyOp(doc: Record<string, unknown>, op: { op: string; path: string; value?: unknown }, file: string): void {
  const parts = pointer(op.path);
  const last = parts.pop()!;
  let cur: unknown = doc;
  for (const part of parts) {
    cur = Array.isArray(cur) ? cur[Number(part)] : (cur as Record<string, unknown> | undefined)?.[part];
    if (cur === undefined || cur === null) throw new Error(`kustomize-lite: ${file}: path ${op.path} does not exist`);
  }
  const value = structuredClone(op.value);
  if (Array.isArray(cur)) {
    const i = last === '-' ? cur.length : Number(last);
    if (op.op === 'add') cur.splice(i, 0, value);
    else if (op.op === 'replace') { if (i >= cur.length) throw new Error(`kustomize-lite: ${file}: ${op.path} out of range`); cur[i] = value; }
    else if (op.op === 'remove') cur.splice(i, 1);
    else throw new Error(`kustomize-lite: ${file}: op ${op.op} not supported`);
    return;
  }
  const obj = cur as Record<string, unknown>;
  if (op.op === 'add') obj[last] = value;
  else if (op.op === 'replace') { if (!(last in obj)) throw new Error(`kustomize-lite: ${file}: replace of missing ${op.path}`); obj[last] = value; }
  else if (op.op === 'remove') { if (!(last in obj)) throw new Error(`kustomize-lite: ${file}: remove of missing ${op.path}`); delete obj[last]; }
  else throw new Error(`kustomize-lite: ${file}: op ${op.op} not supported`);
}

/** Image name without tag or digest ("registry:5000/a/b:tag" -> "registry:5000/a/b"). */
function imageName(ref: string): string {
  const noDigest = ref.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

function setImages(node: unknown, img: Image): void {
  if (Array.isArray(node)) { for (const n of node) setImages(n, img); return; }
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if ((key === 'containers' || key === 'initContainers') && Array.isArray(value)) {
      for (const c of value as { image?: string }[]) {
        if (typeof c.image !== 'string' || imageName(c.image) !== img.name) continue;
        const oldTag = c.image.slice(imageName(c.image).length);
        const name = img.newName ?? img.name;
        c.image = img.digest ? `${name}@${img.digest}` : img.newTag ? `${name}:${img.newTag}` : `${name}${oldTag}`;
      }
    } else {
      setImages(value, img);
    }
  }
}
