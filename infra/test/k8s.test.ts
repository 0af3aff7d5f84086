/**
 * infra/k8s: every overlay renders, every object passes the Kubernetes (and CRD) schemas with
 * no unknown fields, and the objects agree with each other and with the API's contract.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INFRA, IN_CI } from './lib/tools.js';
import { bestRenderer, realKustomize, liteRenderer } from './lib/kustomize.js';
import { readObjects, objectId, type K8sObject } from './lib/kustomize-lite.js';
import { validateWithModels, checkKnownFields } from './lib/k8s-validate.js';

type Port = { name?: string; containerPort: number };
type Probe = { httpGet?: { path: string; port: string | number }; exec?: { command: string[] } };
type SecCtx = { runAsNonRoot?: boolean; runAsUser?: number; allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; privileged?: boolean; capabilities?: { drop?: string[]; add?: string[] }; seccompProfile?: { type: string } };
type Container = {
  name: string; image: string; args?: string[]; ports?: Port[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } } }[];
  livenessProbe?: Probe; readinessProbe?: Probe; startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecCtx;
};
type PodSpec = {
  containers: Container[]; initContainers?: Container[]; securityContext?: SecCtx; terminationGracePeriodSeconds?: number;
  hostNetwork?: boolean; hostPID?: boolean; hostIPC?: boolean; restartPolicy?: string;
  volumes?: ({ name: string } & Record<string, unknown>)[];
};
type PodTemplate = { metadata: { labels: Record<string, string> }; spec: PodSpec };
type Workload = K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; template: PodTemplate; replicas?: number; volumeClaimTemplates?: unknown[] } };
type Service = K8sObject & { spec: { type?: string; selector?: Record<string, string>; ports: { name: string; port: number; targetPort?: string | number }[]; externalName?: string } };

const OVERLAYS = ['dev', 'prod'] as const;
const renderer = bestRenderer();
const rendered: Record<string, K8sObject[]> = {};
const secretTemplate = readObjects(join(INFRA, 'k8s/secret.template.yaml'));

const find = (objs: K8sObject[], kind: string, name?: string) => objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
const one = <T = K8sObject>(objs: K8sObject[], kind: string, name: string): T => {
  const found = find(objs, kind, name);
  expect(found, `${kind}/${name}`).toHaveLength(1);
  return found[0] as T;
};
const podTemplate = (o: K8sObject): PodTemplate | undefined => {
  const spec = o.spec as { template?: PodTemplate; jobTemplate?: { spec: { template: PodTemplate } } } | undefined;
  return spec?.template ?? spec?.jobTemplate?.spec.template;
};
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);
const containersOf = (t: PodTemplate) => [...t.spec.containers, ...(t.spec.initContainers ?? [])];

beforeAll(() => {
  console.info(`[infra] rendering overlays with ${renderer.name}`);
  for (const o of OVERLAYS) rendered[o] = renderer.render(join(INFRA, 'k8s/overlays', o));
});

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  const objs = () => rendered[overlay]!;

  it('renders the expected objects, and no Secret', () => {
    const kinds = new Set(objs().map((o) => o.kind));
    for (const k of ['Namespace', 'ConfigMap', 'Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'Job', 'Ingress', 'ServiceMonitor']) {
      expect(kinds, k).toContain(k);
    }
    expect(find(objs(), 'Secret'), 'Secrets are created out of band, never rendered').toHaveLength(0);
    const ns = one(objs(), 'Namespace', `trading-${overlay}`);
    for (const o of objs()) if (o.kind !== 'Namespace') expect(o.metadata.namespace, objectId(o)).toBe(ns.metadata.name);
  });

  it('passes the Kubernetes and CRD schemas (kubernetes-models)', async () => {
    expect(await validateWithModels(objs())).toEqual([]);
  });

  it('has no unknown fields (checked against the models\' type definitions)', () => {
    expect(checkKnownFields(objs())).toEqual([]);
  });

  it('selectors, ports and references resolve', () => {
    const workloads = objs().filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind)) as Workload[];
    for (const w of workloads) {
      expect(matches(w.spec.selector.matchLabels, w.spec.template.metadata.labels), `${objectId(w)} selector`).toBe(true);
    }
    const podTemplates = objs().map(podTemplate).filter((t): t is PodTemplate => !!t);
    for (const s of find(objs(), 'Service') as Service[]) {
      if (s.spec.type === 'ExternalName') continue;
      const pods = workloads.filter((w) => matches(s.spec.selector ?? {}, w.spec.template.metadata.labels));
      expect(pods.length, `${objectId(s)} selects a workload`).toBeGreaterThan(0);
      for (const p of s.spec.ports) {
        if (typeof p.targetPort !== 'string') continue;
        for (const w of pods) {
          const names = w.spec.template.spec.containers.flatMap((c) => c.ports ?? []).map((cp) => cp.name);
          expect(names, `${objectId(s)} targetPort ${p.targetPort} in ${objectId(w)}`).toContain(p.targetPort);
        }
      }
    }
    const services = new Map((find(objs(), 'Service') as Service[]).map((s) => [s.metadata.name, s]));
    const ingress = one<K8sObject & { spec: { rules: { http: { paths: { path: string; backend: { service: { name: string; port: { name?: string; number?: number } } } }[] } }[] } }>(objs(), 'Ingress', 'trading');
    for (const p of ingress.spec.rules.flatMap((r) => r.http.paths)) {
      const svc = services.get(p.backend.service.name);
      expect(svc, `Ingress backend ${p.backend.service.name}`).toBeDefined();
      expect(svc!.spec.ports.map((sp) => sp.name), `Ingress backend port`).toContain(p.backend.service.port.name);
    }
    for (const pdb of find(objs(), 'PodDisruptionBudget') as (K8sObject & { spec: { selector: { matchLabels: Record<string, string> } } })[]) {
      expect(workloads.some((w) => matches(pdb.spec.selector.matchLabels, w.spec.template.metadata.labels)), objectId(pdb)).toBe(true);
    }
    const hpa = one<K8sObject & { spec: { scaleTargetRef: { kind: string; name: string } } }>(objs(), 'HorizontalPodAutoscaler', 'trading-api');
    expect(find(objs(), hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name)).toHaveLength(1);
    // ConfigMaps must be rendered; Secrets must be documented in the template, key by key.
    const configMaps = new Set(find(objs(), 'ConfigMap').map((c) => c.metadata.name));
    const secretKeys = new Map(secretTemplate.map((s) => [s.metadata.name, Object.keys((s as { stringData?: object }).stringData ?? {})]));
    for (const t of podTemplates) {
      for (const c of containersOf(t)) {
        for (const ef of c.envFrom ?? []) {
          if (ef.configMapRef) expect(configMaps, `configMap ${ef.configMapRef.name}`).toContain(ef.configMapRef.name);
          if (ef.secretRef) expect(secretKeys.has(ef.secretRef.name), `secret ${ef.secretRef.name} in secret.template.yaml`).toBe(true);
        }
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref) expect(secretKeys.get(ref.name), `secret ${ref.name} key ${ref.key} in secret.template.yaml`).toContain(ref.key);
        }
      }
    }
  });

  it('every image is either an overlay-mapped build or a pinned public image', () => {
    for (const t of objs().map(podTemplate).filter((x): x is PodTemplate => !!x)) {
      for (const c of containersOf(t)) {
        expect(c.image, `${c.name}: logical image name left unmapped`).toMatch(/[/:]/);
        expect(c.image, `${c.name}: no :latest`).not.toMatch(/:latest$/);
        const tag = /:([^/:@]+)$/.exec(c.image)?.[1];
        expect(tag, `${c.name} image ${c.image} has a tag`).toBeDefined();
        if (!c.image.startsWith('registry.invalid/')) expect(tag, `${c.image} pinned to a version`).toMatch(/^\d+\.\d+\.\d+/);
      }
    }
  });

  it('every pod meets Pod Security "restricted" (the namespaces enforce it)', () => {
    for (const o of objs()) {
      const t = podTemplate(o);
      if (!t) continue;
      const pod = t.spec;
      expect(pod.hostNetwork || pod.hostPID || pod.hostIPC, `${objectId(o)} host namespaces`).toBeFalsy();
      for (const v of pod.volumes ?? []) {
        const types = Object.keys(v).filter((k) => k !== 'name');
        expect(['emptyDir', 'configMap', 'secret', 'persistentVolumeClaim', 'projected', 'downwardAPI', 'ephemeral'], `${objectId(o)} volume ${v.name}`).toEqual(expect.arrayContaining(types));
      }
      for (const c of containersOf(t)) {
        const sc = { ...pod.securityContext, ...c.securityContext };
        const where = `${objectId(o)} container ${c.name}`;
        expect(sc.runAsNonRoot, `${where} runAsNonRoot`).toBe(true);
        expect(sc.runAsUser ?? 1, `${where} runAsUser`).not.toBe(0);
        expect(c.securityContext?.allowPrivilegeEscalation, `${where} allowPrivilegeEscalation`).toBe(false);
        expect(c.securityContext?.privileged ?? false, `${where} privileged`).toBe(false);
        expect(c.securityContext?.capabilities?.drop, `${where} drops ALL`).toContain('ALL');
        expect(c.securityContext?.capabilities?.add ?? [], `${where} adds capabilities`).toEqual([]);
        expect(sc.seccompProfile?.type, `${where} seccomp`).toBe('RuntimeDefault');
        expect(c.securityContext?.readOnlyRootFilesystem, `${where} read-only root`).toBe(true);
        expect(c.resources?.requests?.memory && c.resources.limits?.memory, `${where} memory request and limit`).toBeTruthy();
      }
    }
  });

  it('API Deployment follows the API contract (probes, graceful shutdown, config)', () => {
    const api = one<Workload>(objs(), 'Deployment', 'trading-api');
    const pod = api.spec.template.spec;
    const c = pod.containers.find((x) => x.name === 'api')!;
    expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(c.startupProbe?.httpGet?.path).toBe('/healthz');
    expect(c.ports?.map((p) => p.containerPort).sort()).toEqual([4000, 9464, 9878]);
    expect(c.envFrom?.map((e) => e.configMapRef?.name ?? e.secretRef?.name)).toEqual(['trading-api-config', 'trading-api']);
    const cm = one<K8sObject & { data: Record<string, string> }>(objs(), 'ConfigMap', 'trading-api-config');
    expect(cm.data.MIGRATE_ON_START).toBe('false');
    expect(cm.data.PORT).toBe('4000');
    expect(cm.data.FIX_PORT).toBe('9878');
    expect(cm.data.REDIS_URL).toMatch(/^redis:\/\/trading-redis:6379/);
    // Behind the ingress and nginx, X-Forwarded-For is believed from the pod network only.
    expect(cm.data.TRUSTED_PROXIES).toBe('10.0.0.0/8');
    // Graceful shutdown: out of the endpoints (preStop) before SIGTERM, then the drain, then SIGKILL.
    const preStop = c.lifecycle?.preStop;
    const sleep = preStop?.sleep?.seconds ?? Number(preStop?.exec?.command.join(' ').match(/^sleep (\d+)$/)?.[1]);
    expect(sleep, 'preStop sleep').toBeGreaterThanOrEqual(5);
    const grace = Number(cm.data.SHUTDOWN_GRACE_SECONDS ?? 20);
    expect(pod.terminationGracePeriodSeconds, 'terminationGracePeriodSeconds > preStop + SHUTDOWN_GRACE_SECONDS').toBeGreaterThan(sleep + grace);
    expect(c.resources?.requests?.cpu, 'CPU request (the HPA measures against it)').toBeTruthy();
    expect((api.spec as { strategy?: { rollingUpdate?: { maxUnavailable?: number } } }).strategy?.rollingUpdate?.maxUnavailable).toBe(0);
    // The HPA owns replicas; it keeps at least two, and the PDB lets one go at a time.
    expect(api.spec.replicas).toBeUndefined();
    const hpa = one<K8sObject & { spec: { minReplicas: number; maxReplicas: number } }>(objs(), 'HorizontalPodAutoscaler', 'trading-api');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    const pdb = one<K8sObject & { spec: { minAvailable: number } }>(objs(), 'PodDisruptionBudget', 'trading-api');
    expect(pdb.spec.minAvailable).toBeGreaterThanOrEqual(1);
    expect(pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
  });

  it('migration Job runs the migrate CLI with the API image and config', () => {
    const job = one(objs(), 'Job', 'trading-migrate');
    const api = one<Workload>(objs(), 'Deployment', 'trading-api');
    const t = podTemplate(job)!;
    const c = t.spec.containers[0]!;
    expect(c.args).toEqual(['node', 'api/dist/cli/migrate.js']);
    expect(c.image).toBe(api.spec.template.spec.containers[0]!.image);
    expect(t.spec.restartPolicy).toBe('Never');
    expect(c.envFrom).toEqual(api.spec.template.spec.containers[0]!.envFrom);
    expect(job.metadata.annotations?.['kustomize.toolkit.fluxcd.io/force']).toBe('enabled');
  });

  it('Ingress routes /graphql (with WebSockets) to the API and the rest to the web', () => {
    const ing = one<K8sObject & { spec: { ingressClassName: string; rules: { host: string; http: { paths: { path: string; pathType: string; backend: { service: { name: string } } }[] } }[] } }>(objs(), 'Ingress', 'trading');
    const a = ing.metadata.annotations ?? {};
    expect(Number(a['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(3600);
    expect(Number(a['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(3600);
    const paths = Object.fromEntries(ing.spec.rules[0]!.http.paths.map((p) => [p.path, p.backend.service.name]));
    expect(paths).toEqual({ '/graphql': 'trading-api', '/': 'trading-web' });
    expect(ing.spec.rules[0]!.host).toMatch(/\.example\.com$/);
  });

  it('ServiceMonitor scrapes /metrics on the API metrics port, which the public Service does not carry', () => {
    const sm = one<K8sObject & { spec: { jobLabel?: string; selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] } }>(objs(), 'ServiceMonitor', 'trading-api');
    const services = find(objs(), 'Service') as Service[];
    const selected = services.filter((s) => matches(sm.spec.selector.matchLabels, s.metadata.labels));
    expect(selected.map((s) => s.metadata.name)).toEqual(['trading-api-metrics']);
    expect(sm.spec.endpoints).toEqual([expect.objectContaining({ port: 'metrics', path: '/metrics' })]);
    // The job is "trading-api" (the alert rules select on it), taken from the Service's label.
    expect(selected[0]!.metadata.labels?.[sm.spec.jobLabel!]).toBe('trading-api');
    const metricsPort = selected[0]!.spec.ports.find((p) => p.name === 'metrics')!;
    const config = one<K8sObject & { data: Record<string, string> }>(objs(), 'ConfigMap', 'trading-api-config');
    expect(String(metricsPort.port)).toBe(config.data.METRICS_PORT);
    expect(config.data.NODE_ENV).toBe('production');
    const publicApi = services.find((s) => s.metadata.name === 'trading-api')!;
    expect(publicApi.spec.ports.map((p) => p.name)).not.toContain('metrics');
    expect(publicApi.spec.ports.map((p) => String(p.port))).not.toContain(config.data.METRICS_PORT);
  });
});

describe('environment differences', () => {
  it('dev runs MySQL as a StatefulSet with a volume claim template', () => {
    const sts = one<Workload>(rendered.dev!, 'StatefulSet', 'mysql');
    expect(sts.spec.volumeClaimTemplates?.length).toBe(1);
    const svc = one<Service>(rendered.dev!, 'Service', 'mysql');
    expect((svc.spec as { clusterIP?: string }).clusterIP).toBe('None');
  });

  it('prod has no StatefulSet; `mysql` points at the managed database', () => {
    expect(find(rendered.prod!, 'StatefulSet')).toHaveLength(0);
    const svc = one<Service>(rendered.prod!, 'Service', 'mysql');
    expect(svc.spec.type).toBe('ExternalName');
    expect(svc.spec.externalName).toMatch(/^[a-z0-9.-]+$/);
    expect(find(rendered.prod!, 'ImagePolicy'), 'prod is promoted by commit, not automation').toHaveLength(0);
  });
});

describe('Flux image automation (dev)', () => {
  type Policy = K8sObject & { spec: { imageRepositoryRef: { name: string }; filterTags: { pattern: string; extract: string }; policy: { numerical?: { order: string } } } };
  const families = { 'trading-api': 'api', 'trading-web': 'fe', 'trading-db': 'db' } as const;

  it('one ImagePolicy per image picks the highest -dev-N build of its family', () => {
    const policies = find(rendered.dev!, 'ImagePolicy') as Policy[];
    expect(policies.map((p) => p.metadata.name).sort()).toEqual(Object.keys(families).sort());
    const repos = new Set(find(rendered.dev!, 'ImageRepository').map((r) => r.metadata.name));
    for (const p of policies) {
      const family = families[p.metadata.name as keyof typeof families];
      expect(repos).toContain(p.spec.imageRepositoryRef.name);
      expect(p.spec.policy.numerical?.order).toBe('asc');
      expect(p.spec.filterTags.extract).toBe('$num');
      // Go's (?P<name>) is JavaScript's (?<name>).
      const re = new RegExp(p.spec.filterTags.pattern.replace(/\(\?P</g, '(?<'));
      const pick = (tags: string[]) => tags.map((t) => re.exec(t)?.groups?.num).filter((n): n is string => n !== undefined).map(Number).sort((a, b) => a - b).at(-1);
      // Tags exactly as the Jenkinsfile writes them: ${JOB_NAME}<family>-dev-${BUILD_NUMBER}.
      const tags = ['9', '10', '2'].flatMap((n) => ['api', 'fe', 'db'].map((f) => `trading-app${f}-dev-${n}`)).concat([`trading-app${family}-dev-7-rc`, 'latest']);
      expect(pick(tags), p.metadata.name).toBe(10);
    }
  });

  it('setter markers in the dev kustomization name existing policies', () => {
    const text = readFileSync(join(INFRA, 'k8s/overlays/dev/kustomization.yaml'), 'utf8');
    const markers = [...text.matchAll(/\{"\$imagepolicy": "([^"]+)"\}/g)].map((m) => m[1]!);
    expect(markers).toHaveLength(6);
    for (const m of markers) {
      const [ns, name, field] = m.split(':');
      expect(ns).toBe('trading-dev');
      expect(Object.keys(families)).toContain(name);
      expect(['name', 'tag']).toContain(field);
    }
    const auto = one<K8sObject & { spec: { update: { path: string; strategy: string } } }>(rendered.dev!, 'ImageUpdateAutomation', 'trading-dev');
    expect(auto.spec.update).toEqual({ path: './infra/k8s/overlays/dev', strategy: 'Setters' });
  });
});

describe('the checks themselves', () => {
  it('the unknown-field check catches a misspelt field', () => {
    const api = structuredClone(one<Workload>(rendered.dev!, 'Deployment', 'trading-api'));
    (api.spec.template.spec.containers[0] as unknown as Record<string, unknown>).readinesProbe = {};
    const problems = checkKnownFields([api]);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toContain('readinesProbe');
  });

  it('the schema check catches a missing required field', async () => {
    const hpa = structuredClone(one(rendered.dev!, 'HorizontalPodAutoscaler', 'trading-api'));
    delete (hpa.spec as Record<string, unknown>).scaleTargetRef;
    expect(await validateWithModels([hpa])).toHaveLength(1);
  });

  it('kustomize-lite renders what the real kustomize renders', (ctx) => {
    const real = realKustomize();
    if (!real) {
      // Every test above renders with kustomize-lite: without the real kustomize to compare it
      // with, CI would be trusting it blindly, so CI fails (the machine image has kubectl).
      const msg = 'no real kustomize found (kustomize, KUSTOMIZE_BIN, or kubectl with kustomize ≥ 4): kustomize-lite not cross-checked';
      if (IN_CI) throw new Error(`${msg}; it is required when CI is set`);
      console.warn(`[infra] ${msg}`);
      ctx.skip();
      return;
    }
    for (const o of OVERLAYS) {
      const byId = (objs: K8sObject[]) => Object.fromEntries(objs.map((x) => [objectId(x), x]));
      expect(byId(liteRenderer.render(join(INFRA, 'k8s/overlays', o))), o).toEqual(byId(real.render(join(INFRA, 'k8s/overlays', o))));
    }
  });
});
