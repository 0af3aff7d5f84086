/**
 * infra/compose.yaml: valid against the current Compose Specification JSON schema (a copy in
 * test/schemas/compose-spec.json, see the README there), and wired as the runbook describes.
 * The schema check is what `docker compose config` validates against; there is no Docker on
 * these machines, so nothing here depends on it (no test that skips in CI).
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { Ajv } from 'ajv';
import { INFRA, REPO, run } from './lib/tools.js';

const schema = JSON.parse(readFileSync(join(INFRA, 'test/schemas/compose-spec.json'), 'utf8')) as { $schema?: string };
// It names draft-07 by its https:// URL, which Ajv (registered under http://) does not know;
// the vocabulary is draft-07, Ajv's default, so the reference is dropped.
const { $schema: _draft, ...schemaBody } = schema;
const validateCompose = new Ajv({ strict: false, allErrors: true }).compile(schemaBody);

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
    const valid = validateCompose(compose);
    expect(validateCompose.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the schema is the current specification and rejects what Compose rejects', () => {
    const s = schema as { properties: Record<string, unknown>; definitions: { service: { properties: Record<string, unknown> } } };
    // Top-level `models` and the service hooks arrived in the 2024-2025 specification.
    expect(Object.keys(s.properties)).toEqual(expect.arrayContaining(['name', 'include', 'models', 'services']));
    expect(Object.keys(s.definitions.service.properties)).toEqual(expect.arrayContaining(['post_start', 'pre_stop', 'provider', 'develop']));
    const broken = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    broken.services.redis!.restart_policy = 'always';
    expect(validateCompose(broken), 'an unknown service key').toBe(false);
    const badDepends = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    badDepends.services.migrate!.depends_on = { mysql: { condition: 'service_ready' } };
    expect(validateCompose(badDepends), 'an unknown depends_on condition').toBe(false);
  });

  it('has the stack: mysql, redis, migrate, api-1, api-2, nginx (+ monitoring profile)', () => {
    const core = Object.entries(compose.services).filter(([, s]) => !s.profiles).map(([n]) => n).sort();
    expect(core).toEqual(['api-1', 'api-2', 'migrate', 'mysql', 'nginx', 'redis']);
    const monitoring = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('monitoring')).map(([n]) => n).sort();
    expect(monitoring).toEqual(['alloy', 'grafana', 'loki', 'prometheus']);
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
});
