/**
 * Who is asking, as the per-address limits see it (perimeter.ts).
 *
 * The address is the socket's peer, unless the operator said how many proxies stand in front of
 * the relay (TOURNEE_TRUST_PROXY=<n>, usually 1): then it is read from X-Forwarded-For, the n-th
 * entry from the right of `<X-Forwarded-For entries>, <peer>` — what the outermost trusted proxy
 * saw. Entries further left were written by the client itself and are never believed. Without the
 * setting, X-Forwarded-For is ignored: anyone could write it.
 *
 *   peer 127.0.0.1, no forwarding header                 local (this machine): no limits
 *   peer 127.0.0.1, X-Forwarded-For: 203.0.113.9         trust 0: key 127.0.0.1 · trust 1: 203.0.113.9
 *   peer 198.51.100.4                                    key 198.51.100.4
 *   peer 2001:db8:1:2:aaaa::1                            key 2001:db8:1:2::/64
 *
 * A request that carries any forwarding header (X-Forwarded-For, Forwarded, X-Real-IP) is never
 * local, whatever its peer: a proxy on this machine forwards the whole internet. IPv6 addresses
 * are keyed by their /64, the block one subscriber gets: otherwise one host has 2^64 addresses to
 * spread its attempts over. IPv4-mapped IPv6 (`::ffff:192.0.2.1`) is the IPv4 address.
 *
 * A request with no socket at all comes from inside the process (tests call the hono app
 * directly): local. A socket whose peer is gone (the client already hung up) is `unknown`, not local.
 */
import { isIP } from 'node:net'

export interface Client {
  /** What the limits count by: an IPv4 address, an IPv6 /64 (`2001:db8:1:2::/64`), or `unknown`. */
  readonly key: string
  /** This machine, not forwarded by a proxy: exempt from the per-address limits. */
  readonly local: boolean
  /** Forwarded by a proxy the relay was not told to trust (TOURNEE_TRUST_PROXY unset). */
  readonly untrustedForwarding: boolean
}

export interface ClientSource {
  /** The socket's peer address; null for a request made inside the process (no socket). */
  readonly peer: string | null | undefined
  /** A request header, comma-joined when repeated. */
  header(name: string): string | undefined
}

export const FORWARDING_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'] as const

const IN_PROCESS: Client = { key: 'in-process', local: true, untrustedForwarding: false }
/** A proxy writes one entry per hop: more than this is not a proxy chain we could trust. */
const MAX_FORWARDED_ENTRIES = 32

export function resolveClient(source: ClientSource, trustedProxies: number): Client {
  if (source.peer === null) return IN_PROCESS
  const peer = normalizeAddress(source.peer)
  const forwarded = FORWARDING_HEADERS.some((name) => source.header(name) !== undefined)
  if (!forwarded) return { key: peer === null ? 'unknown' : keyOf(peer), local: peer !== null && isLoopback(peer), untrustedForwarding: false }
  if (trustedProxies === 0) return { key: peer === null ? 'unknown' : keyOf(peer), local: false, untrustedForwarding: true }
  const chain = [...forwardedFor(source.header('x-forwarded-for')), peer ?? 'unknown']
  const address = normalizeAddress(chain[Math.max(0, chain.length - 1 - trustedProxies)])
  return { key: address === null ? 'unknown' : keyOf(address), local: false, untrustedForwarding: false }
}

/** The entries of X-Forwarded-For, left (the client's claim) to right (the nearest proxy's). */
function forwardedFor(header: string | undefined): string[] {
  if (header === undefined) return []
  const entries = header.split(',').map((entry) => entry.trim())
  return entries.slice(-MAX_FORWARDED_ENTRIES)
}

/**
 * A bare IP address in canonical form, or null: brackets, an IPv4 port and an IPv6 zone are
 * dropped, an IPv4-mapped IPv6 address becomes its IPv4 address, IPv6 is lower-case.
 */
export function normalizeAddress(raw: string | undefined): string | null {
  if (raw === undefined) return null
  let address = raw.trim()
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address)
  if (bracketed) address = bracketed[1]!
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(address)
  if (withPort) address = withPort[1]!
  address = address.replace(/%.*$/, '').toLowerCase()
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address)
  if (mapped) address = mapped[1]!
  return isIP(address) === 0 ? null : address
}

/** An IPv4 address is its own key; an IPv6 address is keyed by its /64. */
export function keyOf(address: string): string {
  if (isIP(address) !== 6) return address
  const groups = ipv6Groups(address)
  return `${groups.slice(0, 4).map((group) => group.toString(16)).join(':')}::/64`
}

/** Whether TOURNEE_HOST binds this machine only (then only this machine, or a proxy on it, reaches the relay). */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true
  const address = normalizeAddress(host)
  return address !== null && isLoopback(address)
}

export function isLoopback(address: string): boolean {
  if (isIP(address) === 4) return address.startsWith('127.')
  const groups = ipv6Groups(address)
  return groups.slice(0, 7).every((group) => group === 0) && groups[7] === 1
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a trailing IPv4 as two groups). */
function ipv6Groups(address: string): number[] {
  let text = address
  const tail = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number]
    text = text.slice(0, tail.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined]
  const left = head ? head.split(':') : []
  const right = rest ? rest.split(':') : []
  const zeros = rest === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0')
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16))
}
