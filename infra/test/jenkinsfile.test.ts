/**
 * The Jenkinsfile: parsed and linted by npm-groovy-lint 16.1.1 (CodeNarc, on the machine's
 * Java 17) with its "recommended-jenkinsfile" rules (infra/jenkins/groovylint.json turns off
 * two rules that misfire on declarative pipelines: single-quoted `sh '''...${VAR}...'''` is
 * shell expansion on purpose, and declarative nesting is deep by design). Any error fails.
 * A deliberately broken copy is linted in the same run to prove the linter really parses.
 * Then the pipeline's shape is checked: Test before three parallel kaniko builds with the
 * original destinations, no credentials.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, mkdirSync, copyFileSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, INFRA, requireTool, run } from './lib/tools.js';

const jenkinsfile = readFileSync(join(REPO, 'Jenkinsfile'), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'trading-groovylint-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Finding = { severity: string; rule: string; line: number | string; msg: string };

it('npm-groovy-lint finds no errors (and does find them in a broken copy)', (ctx) => {
  requireTool(ctx, 'java', 'apt-get install -y openjdk-17-jre-headless (npm-groovy-lint runs CodeNarc on Java)');
  mkdirSync(join(tmp, 'good'));
  mkdirSync(join(tmp, 'broken'));
  copyFileSync(join(REPO, 'Jenkinsfile'), join(tmp, 'good/Jenkinsfile'));
  writeFileSync(join(tmp, 'broken/Jenkinsfile'), jenkinsfile.replace("stage('Test') {", "stage('Test' {"));
  copyFileSync(join(INFRA, 'jenkins/groovylint.json'), join(tmp, 'groovylint.json'));
  // --noserver: no CodeNarc daemon left running after the test. Relative paths: the linter
  // resolves its file arguments against the working directory.
  const bin = join(REPO, 'node_modules/.bin/npm-groovy-lint');
  const r = run(bin, ['--noserver', '--config', 'groovylint.json', '--output', 'json', 'good/Jenkinsfile', 'broken/Jenkinsfile'], { cwd: tmp, timeoutMs: 280_000 });
  if (r.error) throw r.error;
  let report: { files: Record<string, { errors: Finding[] }> };
  try {
    report = JSON.parse(r.stdout) as typeof report;
  } catch {
    throw new Error(`npm-groovy-lint gave no JSON report (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  const findings = (which: string) => Object.entries(report.files).find(([f]) => f.endsWith(`${which}/Jenkinsfile`))?.[1].errors ?? [];
  expect(findings('broken').some((f) => f.severity === 'error'), 'the broken copy must fail to parse').toBe(true);
  const errors = findings('good').filter((f) => f.severity === 'error');
  expect(errors.map((e) => `line ${e.line}: ${e.rule}: ${e.msg}`)).toEqual([]);
  const warnings = findings('good').filter((f) => f.severity === 'warning');
  if (warnings.length) console.warn('[infra] Jenkinsfile lint warnings:\n' + warnings.map((w) => `  line ${w.line}: ${w.rule}: ${w.msg}`).join('\n'));
}, 300_000);

describe('pipeline shape', () => {
  it('is declarative with a Kubernetes pod agent holding kaniko containers', () => {
    expect(jenkinsfile).toMatch(/^pipeline \{/m);
    expect(jenkinsfile).toMatch(/agent \{\s*kubernetes \{/);
    const images = [...jenkinsfile.matchAll(/^\s+image: (\S+)$/gm)].map((m) => m[1]!);
    // The maintained fork (the GoogleContainerTools project is archived), its -debug variant
    // (busybox shell for the sh steps), one pinned release for all three.
    const kaniko = images.filter((i) => i.includes('kaniko'));
    expect(kaniko).toHaveLength(3);
    for (const i of kaniko) expect(i).toMatch(/^ghcr\.io\/osscontainertools\/kaniko:v\d+\.\d+\.\d+-debug$/);
    expect(new Set(kaniko).size).toBe(1);
    for (const i of images) expect(i, 'pinned agent images').toMatch(/:v?\d+\.\d+\.\d+/);
    expect(jenkinsfile).toMatch(/mountPath: \/kaniko\/\.docker/);
  });

  it('runs the tests before the image builds', () => {
    const test = jenkinsfile.indexOf("stage('Test')");
    const images = jenkinsfile.indexOf("stage('Images')");
    expect(test).toBeGreaterThan(0);
    expect(images).toBeGreaterThan(test);
    expect(jenkinsfile.slice(test, images)).toMatch(/sh 'bash \.ci\/run'/);
    expect(jenkinsfile).toMatch(/CI = 'true'/);
  });

  it('builds the three images in parallel with the original destinations', () => {
    const parallel = jenkinsfile.slice(jenkinsfile.indexOf('parallel {'));
    const builds = [...parallel.matchAll(/container\('(kaniko-[a-z]+)'\)[\s\S]*?--dockerfile=(\S+)[\s\S]*?--destination=(\S+)/g)].map((m) => ({ container: m[1], dockerfile: m[2], destination: m[3] }));
    expect(builds).toEqual([
      { container: 'kaniko-fe', dockerfile: 'infra/docker/Dockerfile_nginx', destination: '${ECR_REPO}:${JOB_NAME}fe-dev-${BUILD_NUMBER}' },
      { container: 'kaniko-db', dockerfile: 'infra/docker/Dockerfile_mysql', destination: '${ECR_REPO}:${JOB_NAME}db-dev-${BUILD_NUMBER}' },
      { container: 'kaniko-api', dockerfile: 'infra/docker/Dockerfile_api', destination: '${ECR_REPO}:${JOB_NAME}api-dev-${BUILD_NUMBER}' },
    ]);
    expect(jenkinsfile.match(/--context=tar:\/\/\$\{WORKSPACE\}\/build-context\.tar\.gz/g)).toHaveLength(3);
    expect(jenkinsfile).toMatch(/git archive --format=tar\.gz -o build-context\.tar\.gz HEAD/);
  });

  it('holds no credentials', () => {
    expect(jenkinsfile).not.toMatch(/AKIA[0-9A-Z]{16}/);
    expect(jenkinsfile).not.toMatch(/(password|secret|token)\s*[:=]\s*['"][^'"$]+['"]/i);
    expect(jenkinsfile).not.toMatch(/\d{12}\.dkr\.ecr\./); // no account-specific registry
    expect(jenkinsfile).toMatch(/ECR_REPO = "\$\{params\.ECR_REPO/);
  });
});
