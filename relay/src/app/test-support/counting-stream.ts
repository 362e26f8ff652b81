/**
 * A request body that records how many chunks the server pulled from it: the upload routes'
 * tests prove with it that a refused upload was not read (attachments, digests).
 */
export function countingStream(chunks: number, chunkBytes: number): { stream: ReadableStream<Uint8Array>; state: { pulled: number } } {
  const state = { pulled: 0 }
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled === chunks) return controller.close()
      state.pulled += 1
      controller.enqueue(new Uint8Array(chunkBytes).fill(state.pulled))
    },
  })
  return { stream, state }
}
