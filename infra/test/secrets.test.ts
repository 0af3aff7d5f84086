/**
 * No secrets in the delivery configuration: the Kubernetes Secret template holds placeholders
 * only, and no file under infra/ (or the Jenkinsfile) carries anything that looks like a
 * credential.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INFRA, REPO, runOk } from './lib/tools.js';
import { readObjects } from './lib/kustomize-lite.js';

const PLACEHOLDER = 'REPLACE_ME';

/** True when `value` carries no secret material: the placeholder itself, or a URL whose only secret part is it. */
function placeholderOnly(key: string, value: string): boolean {
  if (value === PLACEHOLDER) return true;
  if (/^[a-z]+:\/\//.test(value)) {
    const u = new URL(value);
    return u.password === PLACEHOLDER && !/REPLACE|[A-Z0-9]{16,}/.test(u.username + u.hostname + u.pathname);
  }
  return !/PASSWORD|SECRET|TOKEN|KEY/i.test(key) && value.length < 16;
}

describe('k8s/secret.template.yaml', () => {
  const secrets = readObjects(join(INFRA, 'k8s/secret.template.yaml')) as ({ kind: string; metadata: { name: string }; data?: unknown; stringData?: Record<string, string> })[];

  it('documents the two Secrets, in stringData (never base64 data)', () => {
    expect(secrets.map((s) => [s.kind, s.metadata.name])).toEqual([['Secret', 'trading-api'], ['Secret', 'trading-db']]);
    for (const s of secrets) expect(s.data, s.metadata.name).toBeUndefined();
  });

  it('holds placeholders only', () => {
    for (const s of secrets) {
      for (const [k, v] of Object.entries(s.stringData ?? {})) expect(placeholderOnly(k, String(v)), `${s.metadata.name}.${k} = ${v}`).toBe(true);
    }
  });

  it('the placeholder check rejects real-looking values', () => {
    expect(placeholderOnly('ADMIN_PASSWORD', 'hunter2hunter2')).toBe(false);
    expect(placeholderOnly('DATABASE_URL', 'mysql://trading:s3cr3t@mysql:3306/trading')).toBe(false);
    expect(placeholderOnly('DATABASE_URL', 'mysql://trading:REPLACE_ME@mysql:3306/trading')).toBe(true);
  });
});

describe('no credentials in tracked delivery files', () => {
  // Tracked files only (infra/.env is git-ignored), minus these tests, which spell out the patterns.
  const files = runOk('git', ['ls-files', 'infra', 'Jenkinsfile', 'docs/RUNBOOK.md'], { cwd: REPO }).split('\n').filter((f) => f && !f.startsWith('infra/test/'));
  const patterns: [string, RegExp][] = [
    ['AWS access key', /\bAKIA[0-9A-Z]{16}\b/],
    ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
    ['GitHub token', /\bgh[pousr]_[A-Za-z0-9]{30,}\b/],
    ['Slack token', /\bxox[baprs]-[A-Za-z0-9-]{10,}/],
    ['password assignment', /\b(?:password|passwd|pwd)\s*[:=]\s*['"]?(?!\$|<|REPLACE_ME|'|"|\s|$)[^\s'"]{6,}/i],
    // Allowed: the placeholder, an interpolation, <password> and the documentation form USER:PASSWORD.
    ['URL with inline password', /[a-z]+:\/\/[^:/\s$]+:(?!REPLACE_ME@|\$\{|<|PASSWORD@)[^@\s/]{4,}@/i],
  ];

  it('finds none of the usual shapes', () => {
    expect(files.length).toBeGreaterThan(20);
    const hits: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(REPO, f), 'utf8');
      for (const [name, re] of patterns) {
        const m = re.exec(text);
        if (m) hits.push(`${f}: ${name}: ${m[0]}`);
      }
    }
    expect(hits).toEqual([]);
  });
});
