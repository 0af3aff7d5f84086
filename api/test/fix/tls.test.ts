/**
 * FIX over TLS: with FIX_TLS_CERT_FILE and FIX_TLS_KEY_FILE the gateway speaks TLS only. The
 * certificate is a throw-away self-signed one made here with the openssl CLI.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { trader, passwordOf } from '../support/gql.js';
import { MsgType, Tag } from './support/orders.js';
import { RawFixClient } from './support/raw-fix.js';

describe('FIX over TLS', () => {
  let t: TestApp;
  let dir: string;
  let cert: Buffer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fix-tls-'));
    const [certFile, keyFile] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile,
    ]);
    cert = readFileSync(certFile);
    t = await startTestApp('sqlite', { FIX_TLS_CERT_FILE: certFile, FIX_TLS_KEY_FILE: keyFile });
    await trader(t.url, 'tlstrader');
  });
  afterAll(async () => {
    await t?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('logs on and takes an order over a verified TLS connection', async () => {
    const c = await RawFixClient.connect(t.app.fixPort!, 'TLSDESK', 'TRADINGAPP', { tls: { ca: cert } });
    expect((await c.logon('tlstrader', passwordOf('tlstrader'))).type).toBe(MsgType.Logon);
    c.send(MsgType.NewOrderSingle, [
      [Tag.ClOrdID, 'tls-1'],
      [Tag.Symbol, 'AAPL'],
      [Tag.Side, '1'],
      [Tag.TransactTime, '20260101-00:00:00.000'],
      [Tag.OrderQty, 1],
      [Tag.OrdType, '2'],
      [Tag.Price, '100.00'],
    ]);
    await c.next((m) => m.type === MsgType.ExecutionReport && m.get(Tag.ClOrdID) === 'tls-1');
    c.close();
  });

  it('answers nothing to a plain-text Logon', async () => {
    const c = await RawFixClient.connect(t.app.fixPort!, 'PLAINDESK');
    c.send(MsgType.Logon, [
      [98, 0],
      [108, 30],
      [553, 'tlstrader'],
      [554, passwordOf('tlstrader')],
    ]);
    await c.closed;
    expect(c.received).toEqual([]);
  });
});
