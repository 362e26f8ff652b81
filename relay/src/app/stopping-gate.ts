/**
 * The HTTP side of a relay that stops: requests already being answered finish before the storage
 * closes, and a request that arrives afterwards — on a connection a browser kept alive — gets
 * « 503, come back in a second » with the connection closed, never a 500 from a closed database.
 *
 * Why: `server.close()` refuses new connections but not new requests on kept-alive ones, and the
 * relay closes its storage while those connections get their grace period (server.ts). A device
 * reads 503 as « relay unreachable for now » and retries later, as it does for a refused socket.
 */
import { EVERY_RESPONSE_HEADERS } from './security-headers'

/** The Retry-After of a stopping relay: a restart takes about a second. */
const RETRY_AFTER_S = 1

type Handler = (request: Request) => Response | Promise<Response>

export class StoppingGate {
  private inFlight = 0
  private stopping = false
  private drainedWaiters: (() => void)[] = []

  /** Answers through `handler` while the relay runs; 503 once it stops. */
  async handle(request: Request, handler: Handler): Promise<Response> {
    if (this.stopping) return stoppingResponse()
    this.inFlight++
    try {
      return await handler(request)
    } finally {
      this.finished()
    }
  }

  /** From now on every request gets 503; resolves once the requests already admitted have answered. */
  stop(): Promise<void> {
    this.stopping = true
    if (this.inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => this.drainedWaiters.push(resolve))
  }

  private finished(): void {
    this.inFlight--
    if (this.inFlight === 0 && this.stopping) for (const resolve of this.drainedWaiters.splice(0)) resolve()
  }
}

function stoppingResponse(): Response {
  return new Response(JSON.stringify({ error: 'Relay stopping' }), {
    status: 503,
    headers: {
      ...EVERY_RESPONSE_HEADERS,
      'content-type': 'application/json',
      'retry-after': String(RETRY_AFTER_S),
      'cache-control': 'no-store',
      // The kept-alive connection this came on closes with the answer: the next request opens a
      // new one, which reaches the relay that replaces this one.
      connection: 'close',
    },
  })
}
