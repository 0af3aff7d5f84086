/**
 * Interoperability with QuickFIX, the most widely used FIX engine: a QuickFIX/C++ initiator
 * (quickfix/initiator.cpp, compiled here against Debian's libquickfix-dev) logs on, sells,
 * is filled by a GraphQL buyer, cancels the rest and logs out, validating every message it
 * receives against the FIX 4.4 data dictionary. Without QuickFIX the test is skipped, except
 * under CI=true where it fails (install g++ and libquickfix-dev).
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { IN_CI } from '../support/databases.js';
import { ok, PLACE, trader, passwordOf } from '../support/gql.js';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'quickfix/initiator.cpp');
const QUICKFIX_HEADER = '/usr/include/quickfix/Application.h';
/** The QuickFIX-format FIX 4.4 dictionary (QuickFIX's own spec/FIX44.xml, as shipped with jspurefix). */
const DICTIONARY = join(dirname(createRequire(import.meta.url).resolve('jspurefix/package.json')), 'data/FIX44.xml');
const quickfixInstalled = existsSync(QUICKFIX_HEADER);
if (!quickfixInstalled && !IN_CI) console.warn(`QuickFIX interop test skipped: ${QUICKFIX_HEADER} not found (apt-get install g++ libquickfix-dev).`);

/** Compiles the initiator once per source version (cached in the temp directory). */
async function build(): Promise<string> {
  if (!quickfixInstalled) throw new Error(`QuickFIX is required in CI: ${QUICKFIX_HEADER} not found (apt-get install g++ libquickfix-dev).`);
  const source = readFileSync(SOURCE);
  const dir = join(tmpdir(), `trading-fix-quickfix-${createHash('sha256').update(source).digest('hex').slice(0, 16)}`);
  const binary = join(dir, 'initiator');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const partial = `${binary}.${process.pid}`;
  await promisify(execFile)('g++', ['-std=c++11', '-O1', '-DHAVE_STD_SHARED_PTR', '-Wno-deprecated-declarations', '-o', partial, SOURCE, '-lquickfix', '-lpthread']);
  await promisify(execFile)('mv', [partial, binary]);
  return binary;
}

function settings(dir: string, port: number): string {
  const file = join(dir, 'initiator.cfg');
  writeFileSync(
    file,
    [
      '[DEFAULT]',
      'ConnectionType=initiator',
      'HeartBtInt=30',
      'ReconnectInterval=1',
      `FileStorePath=${join(dir, 'store')}`,
      `FileLogPath=${join(dir, 'log')}`,
      'StartTime=00:00:00',
      'EndTime=00:00:00',
      'ResetOnLogon=Y',
      'UseDataDictionary=Y',
      `DataDictionary=${DICTIONARY}`,
      'ValidateUserDefinedFields=Y',
      'ValidateFieldsOutOfOrder=Y',
      'ValidateFieldsHaveValues=Y',
      'SocketConnectHost=127.0.0.1',
      `SocketConnectPort=${port}`,
      '',
      '[SESSION]',
      'BeginString=FIX.4.4',
      'SenderCompID=QFCLIENT',
      'TargetCompID=TRADINGAPP',
      '',
    ].join('\n'),
  );
  return file;
}

describe.skipIf(!quickfixInstalled && !IN_CI)('QuickFIX/C++ initiator against the gateway', () => {
  let t: TestApp;
  let binary: string;
  let buyer: { token: string };

  beforeAll(async () => {
    [binary, t] = await Promise.all([build(), startTestApp('sqlite')]);
    [buyer] = await Promise.all([trader(t.url, 'qfbuyer'), trader(t.url, 'qftrader')]);
  }, 120_000);
  afterAll(async () => t?.dispose());

  it('logs on, trades against a GraphQL order and cancels, with every message valid for QuickFIX', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quickfix-run-'));
    const child = spawn(binary, [settings(dir, t.app.fixPort!), 'qftrader', passwordOf('qftrader')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const ready = new Promise<void>((resolve, reject) => {
      let buffer = '';
      child.stdout.on('data', (d: Buffer) => {
        buffer += d.toString();
        const parts = buffer.split('\n');
        buffer = parts.pop()!;
        lines.push(...parts);
        if (parts.includes('READY')) resolve();
      });
      child.on('exit', () => reject(new Error(`initiator exited before its order was accepted: ${lines.join(' / ')} ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await ready;
    await ok(t.url, PLACE, { i: { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price: '140.25', quantity: 4 } }, buyer.token);
    const code = await exited;
    expect({ code, lines }).toMatchObject({ code: 0 });
    expect(lines).toEqual(
      expect.arrayContaining([
        'LOGON',
        // EXEC ClOrdID ExecType OrdStatus CumQty LeavesQty LastQty LastPx AvgPx OrigClOrdID
        'EXEC qf-1 0 0 0 10 - - 0 -',
        'EXEC qf-1 F 1 4 6 4 140.25 140.250000 -',
        'EXEC qf-1-cancel 4 4 4 0 - - 140.250000 qf-1',
        'DONE',
      ]),
    );
    expect(lines.filter((l) => /REJECT/.test(l))).toEqual([]);
  });
});
