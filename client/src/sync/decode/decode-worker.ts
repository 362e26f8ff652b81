/**
 * The decode worker (Web Worker, module type; vite bundles it as a chunk of its own, which the
 * service worker precaches like the rest of the app): decrypts and merges entries off the page's
 * main thread, and answers with slices (decode-protocol.ts).
 */
import { handleDecodeCall, transferablesOf } from './decode-protocol'

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<unknown>) => void) | null
  postMessage(message: unknown, transfer: Transferable[]): void
}

scope.onmessage = (event) => {
  void handleDecodeCall(event.data, (reply) => scope.postMessage(reply, transferablesOf(reply)))
}
