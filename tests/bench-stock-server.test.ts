/**
 * The bench's stock y-websocket baseline (tests/bench/stock-server.ts) against the real stock
 * server process: a provider's destroy() releases its doc. An Awareness left running keeps a
 * setInterval, and with it the awareness and its doc, for the process's life: the fresh-device
 * bench loads every doc of the practice through such providers, and at 10 × 10 years the copies it
 * kept filled the bench's heap before the first join.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { connectStockDoc, startStockServer, type StockServer } from './bench/stock-server'

describe('stock provider', () => {
  let server: StockServer
  beforeAll(async () => {
    server = await startStockServer()
  }, 60_000)
  afterAll(async () => {
    await server?.close()
  })

  it('destroys its awareness with it, so nothing keeps the doc alive', async () => {
    const doc = new Y.Doc()
    doc.getArray('a').push(['x'])
    const provider = await connectStockDoc(server, 'room-1', doc)
    let awarenessDestroyed = false
    provider.awareness.on('destroy', () => {
      awarenessDestroyed = true
    })
    provider.destroy()
    expect(awarenessDestroyed).toBe(true)
    // What held it: the awareness's own interval (y-protocols), cleared only by its destroy().
    expect((provider.awareness as unknown as { _checkInterval: { _destroyed: boolean } })._checkInterval._destroyed).toBe(true)
  })
})
