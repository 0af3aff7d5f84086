import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { addressBucket, clientAddress } from './client-address.js';

const request = (peer: string | undefined, forwarded?: string) =>
  ({ socket: { remoteAddress: peer }, connection: { remoteAddress: peer }, headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded } }) as unknown as IncomingMessage;

describe('clientAddress', () => {
  it.each([
    ['a direct client, header ignored', [], '203.0.113.5', '198.51.100.1', '203.0.113.5'],
    ['loopback trusted: the forwarded client', ['loopback'], '127.0.0.1', '198.51.100.1', '198.51.100.1'],
    ['loopback trusted, IPv4-mapped peer', ['loopback'], '::ffff:127.0.0.1', '198.51.100.1', '198.51.100.1'],
    ['an untrusted private peer is the client', ['loopback'], '10.0.0.7', '198.51.100.1', '10.0.0.7'],
    ['a chain: stops at the first untrusted hop from the right', ['loopback'], '127.0.0.1', '198.51.100.1, 10.9.9.9', '10.9.9.9'],
    ['a chain through trusted proxies', ['loopback', '10.0.0.0/8'], '127.0.0.1', '198.51.100.1, 10.9.9.9', '198.51.100.1'],
    ['no one trusted: the peer, even on loopback', [], '127.0.0.1', '198.51.100.1', '127.0.0.1'],
    ['IPv4-mapped peer without proxies', [], '::ffff:192.0.2.4', undefined, '192.0.2.4'],
  ])('%s', (_name, trusted, peer, forwarded, expected) => {
    expect(clientAddress(request(peer, forwarded), trusted)).toBe(expected);
  });

  it('answers "unknown" for a closed socket', () => {
    expect(clientAddress(request(undefined), ['loopback'])).toBe('unknown');
  });
});

describe('addressBucket', () => {
  it.each([
    ['198.51.100.7', '198.51.100.7'],
    ['::ffff:198.51.100.7', '198.51.100.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::99', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    ['unknown', 'unknown'],
  ])('%s → %s', (address, bucket) => {
    expect(addressBucket(address)).toBe(bucket);
  });
});

describe('TRUSTED_PROXIES', () => {
  it('defaults to loopback, takes a comma-separated list, empty for none, and refuses a malformed entry', async () => {
    const { loadConfig } = await import('../config.js');
    expect(loadConfig({}).TRUSTED_PROXIES).toEqual(['loopback']);
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.4' }).TRUSTED_PROXIES).toEqual(['10.0.0.0/8', '192.168.1.4']);
    expect(loadConfig({ TRUSTED_PROXIES: '' }).TRUSTED_PROXIES).toEqual([]);
    expect(() => loadConfig({ TRUSTED_PROXIES: 'nginx' })).toThrow(/TRUSTED_PROXIES/);
  });
});
