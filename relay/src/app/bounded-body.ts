/**
 * Reading a request body under a size limit, for the routes that take large bodies (attachments,
 * digests). The limit holds whatever the client claims: the stream is counted chunk by chunk and
 * cancelled as soon as it passes the limit, so the relay never buffers more than `max` bytes.
 */

/** Reads a body up to `max` bytes, handing each chunk to `onChunk` (a hasher); stops as soon as it is over. */
export async function readBoundedBody(
  stream: ReadableStream<Uint8Array> | null,
  max: number,
  onChunk: (chunk: Uint8Array) => void = () => undefined,
): Promise<Uint8Array | 'too_large'> {
  if (stream === null) return new Uint8Array(0)
  const chunks: Uint8Array[] = []
  let total = 0
  const reader = stream.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > max) {
      await reader.cancel()
      return 'too_large'
    }
    onChunk(value)
    chunks.push(value)
  }
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

/** A declared Content-Length over `max` (the body is then refused unread). */
export function declaresMoreThan(contentLength: string | undefined, max: number): boolean {
  return contentLength !== undefined && Number(contentLength) > max
}
