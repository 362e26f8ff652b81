import { describe, expect, it } from 'vitest'
import { isLoopback, isLoopbackHost, keyOf, normalizeAddress, resolveClient, type ClientSource } from './client-address'

function source(peer: string | null | undefined, headers: Record<string, string> = {}): ClientSource {
  return { peer, header: (name) => headers[name] }
}

describe('resolveClient', () => {
  it.each([
    ['this machine (IPv4)', source('127.0.0.1'), 0, { key: '127.0.0.1', local: true }],
    ['this machine (IPv6)', source('::1'), 0, { key: '0:0:0:0::/64', local: true }],
    ['this machine (IPv4-mapped)', source('::ffff:127.0.0.1'), 0, { key: '127.0.0.1', local: true }],
    ['another loopback address', source('127.0.0.2'), 0, { key: '127.0.0.2', local: true }],
    ['inside the process (no socket)', source(null), 0, { key: 'in-process', local: true }],
    ['a peer already gone', source(undefined), 0, { key: 'unknown', local: false }],
    ['a LAN device', source('192.168.1.20'), 0, { key: '192.168.1.20', local: false }],
    ['a LAN device, mapped', source('::ffff:192.168.1.20'), 0, { key: '192.168.1.20', local: false }],
    ['an IPv6 device, keyed by its /64', source('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), 0, { key: '2001:db8:1:2::/64', local: false }],
    ['another address of the same /64', source('2001:db8:1:2::9'), 0, { key: '2001:db8:1:2::/64', local: false }],
    ['a forwarded request, proxy not trusted', source('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' }), 0, { key: '127.0.0.1', local: false, untrustedForwarding: true }],
    ['a request with X-Real-IP only, not trusted', source('127.0.0.1', { 'x-real-ip': '203.0.113.9' }), 0, { key: '127.0.0.1', local: false }],
    ['a request with Forwarded only, not trusted', source('127.0.0.1', { forwarded: 'for=203.0.113.9' }), 0, { key: '127.0.0.1', local: false }],
    ['one trusted proxy', source('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' }), 1, { key: '203.0.113.9', local: false, untrustedForwarding: false }],
    ['one trusted proxy, a forged entry on the left', source('127.0.0.1', { 'x-forwarded-for': '10.0.0.1, 203.0.113.9' }), 1, { key: '203.0.113.9', local: false }],
    ['one trusted proxy, loopback claimed by the client', source('127.0.0.1', { 'x-forwarded-for': '127.0.0.1, 203.0.113.9' }), 1, { key: '203.0.113.9', local: false }],
    ['a proxy writing 127.0.0.1 itself is still not local', source('127.0.0.1', { 'x-forwarded-for': '127.0.0.1' }), 1, { key: '127.0.0.1', local: false }],
    ['two trusted proxies', source('10.0.0.5', { 'x-forwarded-for': '198.51.100.7, 10.0.0.4' }), 2, { key: '198.51.100.7', local: false }],
    ['more trusted proxies than entries: the leftmost', source('10.0.0.5', { 'x-forwarded-for': '198.51.100.7' }), 3, { key: '198.51.100.7', local: false }],
    ['trusted, but no X-Forwarded-For (X-Real-IP is not read)', source('10.0.0.5', { 'x-real-ip': '198.51.100.7' }), 1, { key: '10.0.0.5', local: false }],
    ['trusted, an entry with a port', source('127.0.0.1', { 'x-forwarded-for': '203.0.113.9:41234' }), 1, { key: '203.0.113.9', local: false }],
    ['trusted, a bracketed IPv6 entry', source('127.0.0.1', { 'x-forwarded-for': '[2001:db8::7]:443' }), 1, { key: '2001:db8:0:0::/64', local: false }],
    ['trusted, garbage', source('127.0.0.1', { 'x-forwarded-for': 'not-an-address' }), 1, { key: 'unknown', local: false }],
    ['trusted, an empty entry', source('127.0.0.1', { 'x-forwarded-for': '' }), 1, { key: 'unknown', local: false }],
  ])('%s', (_label, input, trustedProxies, expected) => {
    expect(resolveClient(input, trustedProxies)).toMatchObject(expected)
  })
})

describe('addresses', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    [' 192.0.2.1 ', '192.0.2.1'],
    ['192.0.2.1:8080', '192.0.2.1'],
    ['[::1]', '::1'],
    ['FE80::1%eth0', 'fe80::1'],
    ['::FFFF:192.0.2.1', '192.0.2.1'],
    ['999.1.1.1', null],
    ['example.org', null],
    ['', null],
    [undefined, null],
  ])('normalizes %j to %j', (raw, expected) => {
    expect(normalizeAddress(raw)).toBe(expected)
  })

  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['2001:db8::', '2001:db8:0:0::/64'],
    ['::', '0:0:0:0::/64'],
    ['2001:db8:aaaa:bbbb::1', '2001:db8:aaaa:bbbb::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
  ])('keys %s as %s', (address, key) => {
    expect(keyOf(address)).toBe(key)
  })

  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['128.0.0.1', false],
    ['::2', false],
    ['1::1', false],
    ['10.0.0.1', false],
  ])('%s is loopback: %s', (address, expected) => {
    expect(isLoopback(address)).toBe(expected)
  })
})

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['localhost', true],
    ['::1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['relais.cabinet.fr', false],
  ])('%s binds this machine only: %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected)
  })
})
