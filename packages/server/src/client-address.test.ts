import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import { clientAddressResolver, MAX_FORWARDED_HOPS, trustedProxyList } from './client-address.ts';

function request(remoteAddress: string, forwardedFor?: string): IncomingMessage {
  return { socket: { remoteAddress }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } } as unknown as IncomingMessage;
}

describe('clientAddressResolver', () => {
  test('trusting no proxy, the TCP peer is the client whatever it claims', () => {
    const of = clientAddressResolver([]);
    assert.equal(of(request('198.51.100.4', '203.0.113.9')), '198.51.100.4');
    assert.equal(of(request('::ffff:198.51.100.4')), '198.51.100.4', 'IPv4 seen through an IPv6 socket is the same client');
  });

  test('behind a trusted proxy, the client is the first untrusted address from the right', () => {
    const of = clientAddressResolver(['127.0.0.1', '10.0.0.0/8']);
    assert.equal(of(request('127.0.0.1', '203.0.113.9')), '203.0.113.9');
    // The client wrote its own X-Forwarded-For; each proxy appended what it saw.
    assert.equal(of(request('127.0.0.1', '1.2.3.4, 203.0.113.9, 10.1.2.3')), '203.0.113.9');
    assert.equal(of(request('::ffff:127.0.0.1', '2001:db8::7')), '2001:db8::7');
    assert.equal(of(request('127.0.0.1')), '127.0.0.1', 'no header: the proxy itself');
    assert.equal(of(request('127.0.0.1', '10.0.0.5, 10.0.0.6')), '10.0.0.5', 'only proxies: the farthest one');
  });

  test('an untrusted peer cannot pick its address by writing the header', () => {
    const of = clientAddressResolver(['10.0.0.1']);
    assert.equal(of(request('198.51.100.4', '203.0.113.9')), '198.51.100.4');
  });

  test('garbage in the header ends the trail at the last address read', () => {
    const of = clientAddressResolver(['127.0.0.1']);
    assert.equal(of(request('127.0.0.1', 'not-an-address, 203.0.113.9')), '203.0.113.9');
    assert.equal(of(request('127.0.0.1', '203.0.113.9, <script>')), '127.0.0.1');
    const long = Array.from({ length: MAX_FORWARDED_HOPS + 5 }, () => '127.0.0.1').join(',');
    assert.equal(of(request('127.0.0.1', `203.0.113.9,${long}`)), '127.0.0.1', `at most ${MAX_FORWARDED_HOPS} hops are read`);
  });

  test('a TRUSTED_PROXIES entry that is not an address or CIDR block is refused', () => {
    for (const bad of ['localhost', '10.0.0.0/33', '10.0.0.0/x', '::1/129', '']) assert.throws(() => trustedProxyList([bad]), /must be IP addresses or CIDR blocks/, bad);
    assert.doesNotThrow(() => trustedProxyList(['::1', '192.168.0.0/16', '2001:db8::/32']));
  });
});
