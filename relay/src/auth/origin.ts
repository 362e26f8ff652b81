/**
 * Which page may open a sync socket. Browsers always send `Origin` on a WebSocket upgrade and let
 * any page connect anywhere, so the relay checks it: the relay's own origin (the Host header the
 * request came in on, which is how the bundled client and a TLS proxy that keeps Host arrive), or
 * one of TOURNEE_ALLOWED_ORIGINS. No Origin means a non-browser client (tests, tools): allowed,
 * since the credential is still required.
 */

export type OriginVerdict = 'absent' | 'same-origin' | 'allowed' | 'refused'

export function checkOrigin(
  origin: string | undefined,
  host: string | undefined,
  allowedOrigins: readonly string[],
): OriginVerdict {
  if (origin === undefined || origin === '') return 'absent'
  let parsed: URL
  try {
    parsed = new URL(origin)
  } catch {
    return 'refused'
  }
  // `null` (sandboxed frames, file://) parses to an opaque origin and matches nothing.
  if (parsed.origin === 'null' || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) return 'refused'
  if (host !== undefined && sameHost(parsed, host)) return 'same-origin'
  return allowedOrigins.includes(parsed.origin) ? 'allowed' : 'refused'
}

/** The Host header has no scheme: compare with the default port of the origin's own scheme. */
function sameHost(origin: URL, host: string): boolean {
  try {
    return new URL(`${origin.protocol}//${host}`).host === origin.host
  } catch {
    return false
  }
}
