import { HttpRequest } from '@azure/functions';

import { clientKeyOf } from '../../shared/http/auth';

const request = (headers: Record<string, string>) =>
  new HttpRequest({ method: 'POST', url: 'http://localhost/api/auth/login', headers });

describe('the client address used for throttles and quotas', () => {
  test('with no proxy of ours in front, it is the address our host saw, whatever the client wrote before it', () => {
    // The local host (and the Azure front end) append the peer they saw as the last entry.
    expect(clientKeyOf(request({ 'x-forwarded-for': '127.0.0.1' }), 0)).toBe('127.0.0.1');
    expect(
      clientKeyOf(
        request({ 'x-forwarded-for': '203.0.113.9, 198.51.100.1, 127.0.0.1', 'x-client-ip': '203.0.113.9' }),
        0,
      ),
    ).toBe('127.0.0.1');
  });

  test('behind one trusted proxy, it is the entry that proxy appended; entries the client wrote further left never count', () => {
    expect(clientKeyOf(request({ 'x-forwarded-for': 'forged-1, forged-2, 203.0.113.60, 10.0.0.4' }), 1)).toBe(
      '203.0.113.60',
    );
  });

  test('when fewer hops arrived than configured, it is the leftmost entry; with no header, "unknown"', () => {
    expect(clientKeyOf(request({ 'x-forwarded-for': '203.0.113.60' }), 2)).toBe('203.0.113.60');
    expect(clientKeyOf(request({}), 0)).toBe('unknown');
  });

  test('an IPv4 address with a port (as Azure writes it) counts without the port', () => {
    expect(clientKeyOf(request({ 'x-forwarded-for': '203.0.113.60:51234' }), 0)).toBe('203.0.113.60');
  });
});
