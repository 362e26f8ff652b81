/**
 * The baseline server: the stock y-websocket server (@y/websocket-server 0.1.1, the last release
 * for yjs 13), plaintext, no auth, no persistence, one room per doc (the URL path). Run as its own
 * process by stock-server.ts, like the relay, so neither shares the bench's CPU time or heap.
 * Prints one JSON line `{"event":"listening","port":N}` once it listens on 127.0.0.1.
 */
import { createServer } from 'node:http'
import { WebSocketServer } from 'ws'
import { setupWSConnection } from '@y/websocket-server/utils'

const wss = new WebSocketServer({ noServer: true })
wss.on('connection', setupWSConnection)
const server = createServer((_request, response) => {
  response.writeHead(200, { 'Content-Type': 'text/plain' })
  response.end('okay')
})
server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request))
})
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('The stock server has no TCP address')
  console.log(JSON.stringify({ event: 'listening', port: address.port }))
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
