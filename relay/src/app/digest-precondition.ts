/**
 * The precondition of a digest publication (docs/relay.md, « Digests »), from its HTTP headers:
 *
 *   If-None-Match: *          publish only if the space has no digest of that name yet
 *   If-Match: "<version>"     replace only the digest of that version, the one the device read
 *
 * A stored digest's ETag is its version, a decimal integer in quotes (`"3"`), which storage
 * assigns (1 at creation, +1 at each replacement) and the GET and HEAD answers carry. Exactly one
 * of the two headers: a PUT without one would overwrite whatever is stored, unseen (428), and one
 * with both or a malformed value is refused (400) before anything is read or stored.
 */
import type { DigestPrecondition } from '../storage/relay-storage'

export function digestEtag(version: number): string {
  return `"${version}"`
}

export type PreconditionReading =
  | { ok: true; precondition: DigestPrecondition }
  | { ok: false; status: 400 | 428; error: string; field: 'if-match' }

const ETAG_PATTERN = /^"([1-9]\d{0,15})"$/

export function readDigestPrecondition(ifMatch: string | undefined, ifNoneMatch: string | undefined): PreconditionReading {
  const match = ifMatch?.trim()
  const noneMatch = ifNoneMatch?.trim()
  if (match === undefined && noneMatch === undefined) {
    return { ok: false, status: 428, field: 'if-match', error: 'A digest is published with If-Match: "<version read>", or If-None-Match: * when there was none' }
  }
  if (match !== undefined && noneMatch !== undefined) {
    return { ok: false, status: 400, field: 'if-match', error: 'Send If-Match or If-None-Match, not both' }
  }
  if (noneMatch !== undefined) {
    return noneMatch === '*'
      ? { ok: true, precondition: { kind: 'absent' } }
      : { ok: false, status: 400, field: 'if-match', error: 'If-None-Match must be *' }
  }
  const version = ETAG_PATTERN.exec(match ?? '')?.[1]
  if (version === undefined || !Number.isSafeInteger(Number(version))) {
    return { ok: false, status: 400, field: 'if-match', error: 'If-Match must be one ETag of a digest, as the relay sent it ("3")' }
  }
  return { ok: true, precondition: { kind: 'version', version: Number(version) } }
}
