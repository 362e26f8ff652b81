/**
 * The baseline of the scenarios that compare with "the plain stack": the stock y-websocket server
 * in its own process (stock-server-main.ts) and stock y-websocket clients (WebsocketProvider over
 * `ws`), one room per doc, plaintext, as a Yjs app without end-to-end encryption would run.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import WebSocket from 'ws'
import type * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { Awareness } from 'y-protocols/awareness'

const mainFile = fileURLToPath(new URL('./stock-server-main.ts', import.meta.url))
const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

export interface StockServer {
  /** ws://127.0.0.1:<port>: a provider's room is appended as the path. */
  readonly url: string
  readonly pid: number
  close(): Promise<void>
}

export interface StockServerOptions {
  /**
   * The server's --max-old-space-size (MiB). It holds every doc of the practice live (≈8× the
   * plaintext: 5.3 GB of RSS at 10 × 10 years), past V8's default limit; unset, it inherits
   * NODE_OPTIONS.
   */
  maxOldSpaceMb?: number
}

export async function startStockServer(options: StockServerOptions = {}): Promise<StockServer> {
  const heap = options.maxOldSpaceMb === undefined ? [] : [`--max-old-space-size=${options.maxOldSpaceMb}`]
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ...heap, mainFile], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
  const errors: string[] = []
  child.stderr!.on('data', (chunk: Buffer) => errors.push(chunk.toString()))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The stock y-websocket server did not start in 30 s:\n${errors.join('')}`)), 30_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`The stock y-websocket server exited with ${code}:\n${errors.join('')}`))
    })
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^\{"event":"listening","port":(\d+)\}$/.exec(line)
      if (!match) return
      clearTimeout(timer)
      resolve(Number(match[1]))
    })
  })
  return {
    url: `ws://127.0.0.1:${port}`,
    pid: child.pid!,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.kill('SIGKILL')
      })
    },
  }
}

const plainWebSocket = WebSocket as unknown as typeof globalThis.WebSocket

/**
 * A stock provider that also destroys the awareness it was given. WebsocketProvider.destroy()
 * leaves a given awareness alone, and an Awareness runs a setInterval until it is destroyed (or
 * its doc is): that timer holds the awareness, its doc and everything applied to it for the
 * process's life. Loading 10 × 10 years on the stock server that way kept two live copies of every
 * doc in the bench process, and it died at its heap limit before the first join.
 */
class StockProvider extends WebsocketProvider {
  override destroy(): void {
    super.destroy()
    this.awareness.destroy()
  }
}

/**
 * A stock provider for one doc. No BroadcastChannel, and no presence: its awareness has no local
 * state, as Tournée's space sets none, so neither side pays for awareness traffic. Its destroy()
 * releases the doc (above).
 */
export function stockProvider(server: Pick<StockServer, 'url'>, room: string, doc: Y.Doc, WebSocketImpl = plainWebSocket): WebsocketProvider {
  const awareness = new Awareness(doc)
  awareness.setLocalState(null)
  return new StockProvider(server.url, room, doc, { WebSocketPolyfill: WebSocketImpl, disableBc: true, awareness })
}

/** A stock provider resolved once its first sync is done (`sync`: the server's step 2 applied). */
export function connectStockDoc(
  server: Pick<StockServer, 'url'>,
  room: string,
  doc: Y.Doc,
  WebSocketImpl = plainWebSocket,
  timeoutMs = 120_000,
): Promise<WebsocketProvider> {
  const provider = stockProvider(server, room, doc, WebSocketImpl)
  if (provider.synced) return Promise.resolve(provider)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      provider.destroy()
      reject(new Error(`Stock provider for room ${room} did not sync in ${timeoutMs} ms`))
    }, timeoutMs)
    const onSync = (synced: boolean) => {
      if (!synced) return
      clearTimeout(timer)
      provider.off('sync', onSync)
      resolve(provider)
    }
    provider.on('sync', onSync)
  })
}
