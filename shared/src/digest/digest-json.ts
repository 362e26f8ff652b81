/**
 * A digest's plaintext before encryption: gzip of one UTF-8 JSON object. Shared by every digest
 * (directory-digest.ts, week-digest.ts); each checks its own `format` and records after this.
 */

/** gzip(JSON) — CompressionStream('gzip'), global in Node 20 and browsers. */
export async function encodeDigestJson(value: unknown): Promise<Uint8Array> {
  return pipe(new TextEncoder().encode(JSON.stringify(value)), new CompressionStream('gzip'))
}

/**
 * The parsed JSON value; throws what `refuse` builds (the digest's own named error) when the
 * bytes are not gzip-compressed UTF-8 JSON.
 */
export async function decodeDigestJson(bytes: Uint8Array, refuse: (reason: string, cause: unknown) => Error): Promise<unknown> {
  try {
    const plain = await pipe(bytes, new DecompressionStream('gzip'))
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain)) as unknown
  } catch (error) {
    throw refuse(`not gzip-compressed UTF-8 JSON (${error instanceof Error ? error.message : String(error)})`, error)
  }
}

/** The `format` field of a parsed digest, or undefined. */
export function formatOf(json: unknown): unknown {
  return typeof json === 'object' && json !== null ? (json as { format?: unknown }).format : undefined
}

async function pipe(bytes: Uint8Array, transform: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(transform)
  return new Uint8Array(await new Response(stream).arrayBuffer())
}
