/**
 * A TCP proxy in front of a real Redis (redis-server.ts) that can withhold the commands a test
 * names: they reach neither Redis nor get an answer, as a command that was in flight when Redis
 * went away. Everything else passes byte for byte, both ways. When Redis closes a connection (it
 * was restarted), the proxy closes the client's side at once, as the client would see it without
 * a proxy; a restarted Redis is reached again through the same proxy.
 *
 * It matches what the client writes, one chunk at a time: node-redis writes a command in one
 * chunk, and a withheld chunk takes whatever else was pipelined in it along.
 */
import { connect, createServer, type Socket } from 'node:net'

export interface WithholdingProxy {
  /** `redis://` URL of the proxy. */
  readonly url: string
  /** From now on, withhold every chunk that holds `marker` (null: withhold nothing). */
  withhold(marker: string | null): void
  /** Resolves once `count` chunks were withheld in all. */
  withheld(count: number): Promise<void>
  close(): Promise<void>
}

export async function startWithholdingProxy(redisPort: number): Promise<WithholdingProxy> {
  let marker: Buffer | null = null
  let withheldCount = 0
  const waiting: { count: number; resolve: () => void }[] = []
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(redisPort, '127.0.0.1')
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      // A reset either way ends both sides: the test sees it through the client, not here.
      socket.on('error', () => undefined)
    }
    client.on('data', (chunk: Buffer) => {
      if (marker !== null && chunk.includes(marker)) {
        withheldCount++
        for (const wait of waiting.filter((w) => w.count <= withheldCount)) {
          waiting.splice(waiting.indexOf(wait), 1)
          wait.resolve()
        }
        return
      }
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => client.write(chunk))
    upstream.on('close', () => client.destroy())
    client.on('close', () => upstream.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `redis://127.0.0.1:${port}`,
    withhold(next) {
      marker = next === null ? null : Buffer.from(next)
    },
    withheld(count) {
      if (withheldCount >= count) return Promise.resolve()
      return new Promise((resolve) => waiting.push({ count, resolve }))
    },
    close() {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
