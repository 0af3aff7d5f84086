/**
 * Dockerfile lint, offline. hadolint is not packaged for Debian 12, so: dockerfile-utils'
 * validator (the checks of the VS Code Docker language server: syntax, instruction arguments,
 * JSON forms, duplicate CMD/ENTRYPOINT/HEALTHCHECK, ...) plus the rules below, enforced on the
 * dockerfile-ast parse tree. Rules that hadolint would apply are noted with its code.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { Instruction, Dockerfile, Copy } from 'dockerfile-ast';
import { REPO, INFRA, runOk } from './lib/tools.js';

// Both packages are CommonJS.
const require = createRequire(import.meta.url);
const { DockerfileParser } = require('dockerfile-ast') as typeof import('dockerfile-ast');
const { validate } = require('dockerfile-utils') as typeof import('dockerfile-utils');

type Expect = { multiStage: boolean; user: boolean; expose: number[]; entrypoint?: RegExp };
const FILES: Record<string, Expect> = {
  Dockerfile_api: { multiStage: true, user: true, expose: [4000, 9878], entrypoint: /tini/ },
  Dockerfile_nginx: { multiStage: true, user: true, expose: [8080] },
  Dockerfile_mysql: { multiStage: false, user: false, expose: [3306] },
};

const args = (i: Instruction) => i.getArguments().map((a) => a.getValue());
const text = (i: Instruction) => i.getArgumentsContent() ?? '';

function stages(df: Dockerfile): Instruction[][] {
  const out: Instruction[][] = [];
  for (const i of df.getInstructions()) {
    if (i.getKeyword() === 'FROM') out.push([]);
    out.at(-1)?.push(i);
  }
  return out;
}

describe.each(Object.entries(FILES))('%s', (name, want) => {
  const content = readFileSync(join(INFRA, 'docker', name), 'utf8');
  const df = DockerfileParser.parse(content);
  const all = df.getInstructions();
  const finalStage = stages(df).at(-1)!;

  it('passes dockerfile-utils validation with no errors or warnings', () => {
    const problems = validate(content).filter((d) => (d.severity ?? 1) <= 2);
    expect(problems.map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('bases on pinned images, never latest (DL3006, DL3007)', () => {
    const stageNames = new Set<string>();
    for (const from of df.getFROMs()) {
      const image = from.getImageName()!;
      if (!stageNames.has(image)) {
        expect(from.getImageTag(), `${image} tag`).toMatch(/^\d+\.\d+\.\d+(-[a-z0-9.-]+)?$/);
        expect(image).not.toMatch(/\$/); // no ARG-templated base images: the pin must be visible here
      }
      const stage = from.getBuildStage();
      if (stage) stageNames.add(stage);
    }
    expect(df.getFROMs().length > 1, 'multi-stage').toBe(want.multiStage);
  });

  it('uses COPY, never ADD (DL3020) and never copies the whole context', () => {
    expect(all.filter((i) => i.getKeyword() === 'ADD')).toEqual([]);
    for (const c of df.getCOPYs()) {
      const srcs = args(c).slice(0, -1);
      expect(srcs, `line ${c.getRange().start.line + 1}`).not.toContain('.');
      expect(srcs.some((s) => /(^|\/)\.env$/.test(s)), 'no .env in images').toBe(false);
    }
  });

  it('COPY sources from the build context exist in the repository', () => {
    for (const c of df.getCOPYs() as Copy[]) {
      if (c.getFromFlag()) continue;
      for (const src of args(c).slice(0, -1)) expect(existsSync(join(REPO, src)), `${src} (line ${c.getRange().start.line + 1})`).toBe(true);
    }
  });

  it('RUN steps: lean apt installs, npm ci, no piped installers, no sudo (DL3009, DL3015, DL3004, DL4006)', () => {
    for (const r of all.filter((i) => i.getKeyword() === 'RUN')) {
      const cmd = text(r);
      if (/apt-get install/.test(cmd)) {
        expect(cmd).toMatch(/--no-install-recommends/);
        expect(cmd).toMatch(/-y\b/);
        expect(cmd).toMatch(/rm -rf \/var\/lib\/apt\/lists/);
      }
      expect(cmd).not.toMatch(/\bnpm (install|i)\b/);
      expect(cmd).not.toMatch(/\b(curl|wget)\b[^|]*\|\s*(ba)?sh/);
      expect(cmd).not.toMatch(/\bsudo\b/);
    }
  });

  it('no secrets in ENV or ARG', () => {
    for (const i of all.filter((x) => ['ENV', 'ARG'].includes(x.getKeyword()))) {
      expect(text(i)).not.toMatch(/(PASSWORD|SECRET|TOKEN|API_KEY)\s*=/i);
    }
  });

  it('final stage: HEALTHCHECK, ports, user, signal handling', () => {
    const kw = (k: string) => finalStage.filter((i) => i.getKeyword() === k);
    expect(kw('HEALTHCHECK'), 'HEALTHCHECK').toHaveLength(1);
    expect(args(kw('HEALTHCHECK')[0]!)[0]).toBe('CMD');
    const exposed = kw('EXPOSE').flatMap(args).map((p) => Number(p.split('/')[0])).sort();
    expect(exposed).toEqual([...want.expose].sort());
    if (want.user) {
      const user = kw('USER').at(-1);
      expect(user, 'USER in the final stage (DL3002)').toBeDefined();
      const [uid] = args(user!)[0]!.split(':');
      expect(uid, 'numeric uid, so runAsNonRoot can verify it').toMatch(/^\d+$/);
      expect(Number(uid)).not.toBe(0);
    }
    if (want.entrypoint) expect(text(kw('ENTRYPOINT')[0]!)).toMatch(want.entrypoint);
    for (const i of [...kw('CMD'), ...kw('ENTRYPOINT')]) expect(text(i).trim().startsWith('['), 'exec form (DL3025)').toBe(true);
  });

  it('has a .dockerignore beside it that keeps node_modules and .env out', () => {
    const ignore = readFileSync(join(INFRA, 'docker', `${name}.dockerignore`), 'utf8').split('\n').map((l) => l.trim());
    const excludesAll = ignore.includes('*');
    expect(excludesAll || (ignore.includes('**/node_modules') && ignore.includes('.env'))).toBe(true);
  });
});

describe('image specifics', () => {
  it('the API image starts the compiled server and includes migrations and the catalog', () => {
    const content = readFileSync(join(INFRA, 'docker/Dockerfile_api'), 'utf8');
    expect(content).toMatch(/CMD \["node", "api\/dist\/main\.js"\]/);
    expect(content).toMatch(/npm ci [^\n]*--omit=dev/);
    expect(content).toMatch(/COPY db\/ \.\/db\//);
    expect(content).toMatch(/python3 make g\+\+/);
  });

  it('the nginx image renders its server block from the template and checks API_UPSTREAM first', () => {
    const content = readFileSync(join(INFRA, 'docker/Dockerfile_nginx'), 'utf8');
    expect(content).toMatch(/COPY infra\/nginx\/templates\/ \/etc\/nginx\/templates\//);
    expect(content).toMatch(/npm run build --workspace web/);
    // Executable in git, since COPY keeps the mode and the entrypoint runs (not sources) it.
    const mode = runOk('git', ['ls-files', '-s', 'infra/nginx/05-require-api-upstream.sh']).split(' ')[0];
    if (mode) expect(mode).toBe('100755');
  });

  it('the web build stage has every module the client shares with the API (web/build/shared-modules.ts)', async () => {
    const { sharedModules } = await import('../../web/build/shared-modules.js');
    const content = readFileSync(join(INFRA, 'docker/Dockerfile_nginx'), 'utf8');
    const ignore = readFileSync(join(INFRA, 'docker/Dockerfile_nginx.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    const files = Object.values(sharedModules).map((abs) => abs.slice(REPO.length + 1));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      expect(content, file).toContain(`COPY ${file} ${file}`);
      expect(ignore, file).toContain(`!${file}`);
    }
  });

  it('the MySQL init script is sourced (not executable) and holds no credentials', () => {
    const mode = runOk('git', ['ls-files', '-s', 'infra/docker/mysql/initdb/10-trading.sh']).split(' ')[0];
    if (mode) expect(mode).toBe('100644');
    const script = readFileSync(join(INFRA, 'docker/mysql/initdb/10-trading.sh'), 'utf8');
    expect(script).toMatch(/IDENTIFIED BY '\$\{MYSQL_PASSWORD\}'/);
    const cnf = readFileSync(join(INFRA, 'docker/mysql/conf.d/trading.cnf'), 'utf8');
    expect(cnf).toMatch(/^character-set-server = utf8mb4$/m);
    expect(cnf).toMatch(/^collation-server = utf8mb4_(unicode_ci|bin|0900_\w+)$/m);
    expect(cnf).toMatch(/^sql_mode = [^\n]*STRICT_ALL_TABLES/m);
  });
});
