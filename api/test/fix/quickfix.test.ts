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
import { Tag } from './support/orders.js';
import { RawFixClient } from './support/raw-fix.js';

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

function settings(dir: string, port: number, session: { senderCompId: string; resetOnLogon: boolean } = { senderCompId: 'QFCLIENT', resetOnLogon: true }): string {
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
      `ResetOnLogon=${session.resetOnLogon ? 'Y' : 'N'}`,
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
      `SenderCompID=${session.senderCompId}`,
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
    [buyer] = await Promise.all([trader(t.url, 'qfbuyer'), trader(t.url, 'qftrader'), trader(t.url, 'qfkeeper'), trader(t.url, 'qfmass')]);
  }, 120_000);
  afterAll(async () => t?.dispose());

  /**
   * Runs the initiator's scenario (log on, sell 10 at 140.25 as `clOrdId`, be filled 4 by a
   * GraphQL buyer, cancel the rest, log out); resolves with its exit code and output lines.
   */
  async function scenario(cfg: string, username: string, clOrdId: string, mass = false): Promise<{ code: number | null; lines: string[] }> {
    const child = spawn(binary, [cfg, username, passwordOf(username), clOrdId, ...(mass ? ['mass'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
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
    return { code: await exited, lines };
  }

  it('logs on, trades against a GraphQL order and cancels, with every message valid for QuickFIX', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quickfix-run-'));
    const { code, lines } = await scenario(settings(dir, t.app.fixPort!), 'qftrader', 'qf-1');
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

  it('cancels the rest with an OrderMassCancelRequest, whose report and ExecutionReport QuickFIX validates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quickfix-mass-'));
    const { code, lines } = await scenario(settings(dir, t.app.fixPort!, { senderCompId: 'QFMASS', resetOnLogon: true }), 'qfmass', 'qf-mass-1', true);
    expect({ code, lines }).toMatchObject({ code: 0 });
    expect(lines).toEqual(
      expect.arrayContaining([
        // MASS_CANCEL_REPORT ClOrdID MassCancelRequestType MassCancelResponse TotalAffectedOrders
        'MASS_CANCEL_REPORT qf-mass-1-cancel 7 7 1',
        // The order's own report keeps its ClOrdID: the mass cancel names no order.
        'EXEC qf-mass-1 4 4 4 0 - - 140.250000 -',
        'DONE',
      ]),
    );
    expect(lines.filter((l) => /REJECT/.test(l))).toEqual([]);
  });

  it('keeps its sequence numbers through a stranger\'s refused Logon for its CompID (MsgSeqNum 5000, no password)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quickfix-keep-'));
    const cfg = settings(dir, t.app.fixPort!, { senderCompId: 'QFKEEP', resetOnLogon: false });
    expect(await scenario(cfg, 'qfkeeper', 'qf-keep-1')).toMatchObject({ code: 0 });
    const stranger = await RawFixClient.connect(t.app.fixPort!, 'QFKEEP');
    expect((await stranger.logon(null, null, 30, { reset: false, seq: 5000 })).get(Tag.Text)).toBe('Username (553) and Password (554) are required.');
    await stranger.closed;
    const again = await scenario(cfg, 'qfkeeper', 'qf-keep-2');
    expect(again).toMatchObject({ code: 0 });
    expect(again.lines.filter((l) => /REJECT|too low/.test(l))).toEqual([]);
  });
});
