/**
 * A digest's plaintext before encryption: gzip of one UTF-8 JSON object. Shared by every digest
 * (directory-digest.ts, week-digest.ts); each checks its own `format` and records after this.
 */

/** gzip(JSON) — CompressionStream('gzip'), global in Node 20 and browsers. */
export async function encodeDigestJson(value: unknown): Promise<Uint8Array> {
  return pipe(new TextEncoder().encode(JSON.stringify(value)), new CompressionStream('gzip'))
}

import { decodeUtf8InSlices, parseJsonInSlices } from './json-in-slices'

/** How a digest's decoder refuses one: in its own named error, saying what the views wait for instead. */
export interface DigestRefusal {
  /** 'Directory digest', 'Week digest': how messages name it. */
  readonly what: string
  /** 'the directory', 'the agenda': what the views read once the digest is refused. */
  readonly waitFor: string
  readonly error: (message: string, options?: ErrorOptions) => Error
}

/**
 * The parsed JSON value of a digest of `format`. Throws the refusal's error when the bytes are not
 * gzip-compressed UTF-8 JSON, or are of another format (a device of another version wrote it).
 * With `nextSlice` (a page), the UTF-8 decoding and the parse give the thread back every few
 * milliseconds (json-in-slices.ts): the directory of 20,000 patients is ≈ 5 MB of JSON.
 */
export async function decodeDigestJson(
  bytes: Uint8Array,
  format: number,
  refusal: DigestRefusal,
  nextSlice?: () => Promise<void>,
): Promise<unknown> {
  let json: unknown
  try {
    const plain = await pipe(bytes, new DecompressionStream('gzip'))
    json = nextSlice
      ? await parseJsonInSlices(await decodeUtf8InSlices(plain, { nextSlice }), { nextSlice })
      : JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain))
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw refusal.error(`${refusal.what} is not gzip-compressed UTF-8 JSON (${reason}): ignore it and wait for ${refusal.waitFor}`, {
      cause: error,
    })
  }
  const found = typeof json === 'object' && json !== null ? (json as { format?: unknown }).format : undefined
  if (found !== format) {
    const newer = typeof found === 'number' && Number.isSafeInteger(found) && found > format
    throw refusal.error(
      `${refusal.what} of format ${JSON.stringify(found) ?? 'none'}; this version reads format ${format}: wait for ${refusal.waitFor} (or update the app)`,
      newer ? { cause: new NewerDigestFormat(found, format) } : undefined,
    )
  }
  return json
}

/**
 * The cause of a refusal of a digest written by a newer version of Tournée (its format is above
 * the one this version reads). Such a digest is not this device's to replace: its writer holds a
 * format this one cannot even read (client/src/sync/digests/digest-sync.ts).
 */
export class NewerDigestFormat extends Error {
  override name = 'NewerDigestFormat'
  constructor(
    readonly found: number,
    readonly reads: number,
  ) {
    super(`Digest of format ${found}, newer than this version's ${reads}`)
  }
}

/** Whether a digest decoder's refusal is of a digest of a newer format (NewerDigestFormat). */
export function isNewerDigestFormat(error: unknown): boolean {
  return error instanceof Error && error.cause instanceof NewerDigestFormat
}

/**
 * The refusal of a record of the wrong shape, by its first issues (three at most), each described
 * by its path (and what is wrong). Never a value: values are patient data and must not reach a log.
 */
export function malformedRecord(refusal: DigestRefusal, issues: readonly string[]): Error {
  return refusal.error(`${refusal.what} has a malformed record (${issues.slice(0, 3).join('; ')}): ignore it and wait for ${refusal.waitFor}`)
}

async function pipe(bytes: Uint8Array, transform: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(transform)
  return new Uint8Array(await new Response(stream).arrayBuffer())
}
