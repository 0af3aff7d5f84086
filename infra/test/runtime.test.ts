/**
 * One Node.js release for production: the images (Dockerfile_api, Dockerfile_nginx's builder),
 * the Jenkins test container and the release .ci/node24 runs the api and infra projects on
 * are the same Node 24 LTS version, and the root `engines` declares the supported majors.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, INFRA } from './lib/tools.js';

const read = (path: string) => readFileSync(path, 'utf8');
const nodeImages = (content: string) => [...content.matchAll(/\bnode:(\S+)/g)].map((m) => m[1]!);

describe('Node.js runtime', () => {
  const images = {
    'infra/docker/Dockerfile_api': nodeImages(read(join(INFRA, 'docker/Dockerfile_api'))),
    'infra/docker/Dockerfile_nginx': nodeImages(read(join(INFRA, 'docker/Dockerfile_nginx'))),
    Jenkinsfile: nodeImages(read(join(REPO, 'Jenkinsfile'))),
  };
  const tested = /^NODE24_VERSION="\$\{NODE24_VERSION:-(\d+\.\d+\.\d+)\}"$/m.exec(read(join(REPO, '.ci/node24')))?.[1];

  it('pins every Node image to the exact Node 24 release that .ci/node24 tests, on Debian 12', () => {
    expect(tested).toMatch(/^24\./);
    for (const [file, tags] of Object.entries(images)) {
      expect(tags.length, `${file} uses a node image`).toBeGreaterThan(0);
      for (const tag of tags) expect(tag, file).toMatch(new RegExp(`^${tested!.replaceAll('.', '\\.')}-bookworm(-slim)?$`));
    }
  });

  it('declares Node 20.19+ (the development machines) and Node 24 (production) in engines', () => {
    const root = JSON.parse(read(join(REPO, 'package.json'))) as { engines: { node: string } };
    expect(root.engines.node).toBe('^20.19.0 || ^24.11.0');
  });
});
