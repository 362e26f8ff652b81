/**
 * The y-websocket adapter against a real socket: what relay-link.ts relies on in y-websocket's
 * WebsocketProvider. An upgrade of y-websocket that changes any of it fails here, naming what.
 */
import { readFileSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { createRequire } from 'node:module'
import * as decoding from 'lib0/decoding'
import { afterEach, describe, expect, it, vi } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import * as Y from 'yjs'
import { encodeAck, encodeSyncStep1, encodeSyncStep2, encodeSyncStep2Frames, encodeUpdate, KEEP_ALIVE_FRAME } from '../../../../relay/src/rooms/frames'
import { MessageType, SUBPROTOCOL } from '../../../../shared/src/protocol/constants'
import { waitFor } from '../../../../tests/helpers/wait-for'
import { RelayLink, Y_WEBSOCKET_VERSION, type LinkEvent } from './relay-link'

interface FakeRelay {
  url: string
  /** Every socket the relay accepted, in order, with the path it was opened on. */
  sockets: Array<{ socket: WebSocket; path: string; received: Uint8Array[] }>
  close(): Promise<void>
}

/** A relay that speaks just enough: its step 1 on connection, step 2 and an ACK for a step 1. */
async function fakeRelay(relayDoc: Y.Doc, answer: (stateVector: Uint8Array) => Uint8Array[] = (sv) => [encodeSyncStep2(relayDoc, sv)]): Promise<FakeRelay> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => SUBPROTOCOL })
  await new Promise((resolve) => server.once('listening', resolve))
  const sockets: FakeRelay['sockets'] = []
  server.on('connection', (socket, request) => {
    const entry = { socket, path: request.url ?? '', received: [] as Uint8Array[] }
    sockets.push(entry)
    socket.send(encodeSyncStep1(relayDoc))
    socket.on('message', (data: Buffer) => {
      const bytes = new Uint8Array(data)
      entry.received.push(bytes)
      const decoder = decoding.createDecoder(bytes)
      if (decoding.readVarUint(decoder) !== MessageType.Sync || decoding.readVarUint(decoder) !== 0) return
      for (const frame of answer(decoding.readVarUint8Array(decoder))) socket.send(frame)
      socket.send(encodeAck(Y.encodeStateVector(relayDoc)))
    })
  })
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    sockets,
    close: async () => {
      for (const { socket } of sockets) socket.terminate()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  vi.useRealTimers()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

interface LinkedOptions {
  /** Between two slices, or two runs of paced frames: the page given back. */
  readonly nextSlice?: () => Promise<void>
  /** The fake relay's answer to a step 1, as frames (one step 2 when absent). */
  readonly answer?: (stateVector: Uint8Array) => Uint8Array[]
  /** Told of each event before it is recorded, with the link's doc as it is then. */
  readonly onEvent?: (event: LinkEvent, doc: Y.Doc) => void
  readonly framedAnswers?: boolean
}

async function linked(
  relayDoc = new Y.Doc(),
  { nextSlice, answer, onEvent, framedAnswers = false }: LinkedOptions = {},
): Promise<{ relay: FakeRelay; link: RelayLink; doc: Y.Doc; events: LinkEvent[] }> {
  const relay = await fakeRelay(relayDoc, answer)
  const doc = new Y.Doc()
  const events: LinkEvent[] = []
  const link = new RelayLink({
    relayUrl: relay.url,
    spaceId: 'spaceSSSSSSSSSSSSSSSSS',
    roomId: 'roomRRRRRRRRRRRRRRRRRR',
    credential: 'c'.repeat(43),
    doc,
    WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket,
    crossTab: false,
    framedAnswers,
    onEvent: (event) => {
      onEvent?.(event, doc)
      events.push(event)
    },
    ...(nextSlice ? { nextSlice } : {}),
  })
  cleanups.push(() => relay.close(), () => link.destroy())
  return { relay, link, doc, events }
}

describe('RelayLink over y-websocket', () => {
  it('gives up a socket whose upgrade is never answered, so that the room reconnects', async () => {
    // Accepts the connection and reads the upgrade, answers nothing: a half-open link.
    const held: Socket[] = []
    const server = createServer((socket) => void held.push(socket))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => (held.forEach((s) => s.destroy()), server.close(resolve))))
    const { port } = server.address() as { port: number }
    const events: LinkEvent[] = []
    const link = new RelayLink({
      relayUrl: `http://127.0.0.1:${port}`,
      spaceId: 'spaceSSSSSSSSSSSSSSSSS',
      roomId: 'roomRRRRRRRRRRRRRRRRRR',
      credential: 'c'.repeat(43),
      doc: new Y.Doc(),
      WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket,
      crossTab: false,
      onEvent: (event) => events.push(event),
      openTimeoutMs: 150,
    })
    cleanups.push(() => link.destroy())
    link.connect()
    await waitFor(() => expect(held).toHaveLength(1))
    await waitFor(() => expect(events.map((e) => e.kind)).toEqual(['connecting', 'closed']), { timeoutMs: 3_000 })
    expect(link.hasSocket).toBe(false)
    // The room's reconnection opens a new socket: given up the same way, never stuck.
    link.connect()
    await waitFor(() => expect(held).toHaveLength(2))
    await waitFor(() => expect(events.filter((e) => e.kind === 'closed')).toHaveLength(2), { timeoutMs: 3_000 })
  })

  it(`is the y-websocket release it was written for (${Y_WEBSOCKET_VERSION}): re-read relay-link.ts before moving the pin`, () => {
    const manifest = createRequire(import.meta.url).resolve('y-websocket/package.json')
    expect(JSON.parse(readFileSync(manifest, 'utf8')).version).toBe(Y_WEBSOCKET_VERSION)
  })

  it('opens the room path, reports each frame decoded before the provider applies it, and the sync', async () => {
    const relayDoc = new Y.Doc()
    relayDoc.getArray<string>('entries').push(['du relais'])
    const { relay, link, doc, events } = await linked(relayDoc)
    link.connect()
    await waitFor(() => expect(events.some((e) => e.kind === 'synced')).toBe(true))
    expect(relay.sockets.map((s) => s.path)).toEqual(['/v1/sync/spaceSSSSSSSSSSSSSSSSS/roomRRRRRRRRRRRRRRRRRR'])
    expect(doc.getArray('entries').toArray()).toEqual(['du relais'])
    const kinds = events.map((e) => (e.kind === 'frame' ? `frame:${e.frame.type}:${e.from}` : e.kind))
    expect(kinds.slice(0, 3)).toEqual(['connecting', 'open', 'frame:sync-step1:relay'])
    expect(kinds).toContain('frame:sync-step2:relay')
    await waitFor(() => expect(events.map((e) => (e.kind === 'frame' ? e.frame.type : e.kind))).toContain('ack'))
    // A live update from the relay reaches the doc, reported as a frame first.
    const other = new Y.Doc()
    other.getArray<string>('entries').push(['en direct'])
    relay.sockets[0]!.socket.send(encodeUpdate(Y.encodeStateAsUpdate(other)))
    await waitFor(() => expect(doc.getArray('entries').length).toBe(2))
    expect(events.some((e) => e.kind === 'frame' && e.frame.type === 'sync-update')).toBe(true)
  })

  it('announces no presence: the relay receives no awareness frame', async () => {
    const { relay, link, doc, events } = await linked()
    link.connect()
    await waitFor(() => expect(events.some((e) => e.kind === 'synced')).toBe(true))
    doc.getArray<string>('entries').push(['local'])
    await waitFor(() => expect(relay.sockets[0]!.received.length).toBeGreaterThanOrEqual(2))
    for (const frame of relay.sockets[0]!.received) expect(frame[0]).not.toBe(MessageType.Awareness)
  })

  it('never reconnects by itself: after the relay closes the socket, no new one opens until connect()', async () => {
    const { relay, link, events } = await linked()
    link.connect()
    await waitFor(() => expect(events.some((e) => e.kind === 'synced')).toBe(true))
    // The provider would schedule its own retry when the socket closes: run every timer it could
    // have scheduled, at once, and see that none opened a socket.
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval'] })
    relay.sockets[0]!.socket.close(4507, 'Too many rooms for this space')
    await vi.waitFor(() => expect(events.at(-1)).toEqual({ kind: 'closed', code: 4507 }))
    vi.advanceTimersByTime(60_000)
    vi.useRealTimers()
    expect(link.hasSocket).toBe(false)
    expect(relay.sockets).toHaveLength(1)
    link.connect()
    await waitFor(() => expect(relay.sockets).toHaveLength(2))
  })

  it('closes the socket on a frame that does not decode, and applies nothing of it', async () => {
    const { relay, link, doc, events } = await linked()
    link.connect()
    await waitFor(() => expect(events.some((e) => e.kind === 'synced')).toBe(true))
    relay.sockets[0]!.socket.send(new Uint8Array([MessageType.Sync, 2, 200, 1, 2]))
    await waitFor(() => expect(events.some((e) => e.kind === 'bad-frame')).toBe(true))
    await waitFor(() => expect(events.at(-1)).toEqual({ kind: 'closed', code: null }))
    expect(doc.getArray('entries').length).toBe(0)
    expect(link.hasSocket).toBe(false)
  })

  it('disconnect() closes the socket and reports it as closed by this side', async () => {
    const { link, events } = await linked()
    link.connect()
    await waitFor(() => expect(events.some((e) => e.kind === 'open')).toBe(true))
    link.disconnect()
    expect(events.at(-1)).toEqual({ kind: 'closed', code: null })
    expect(link.hasSocket).toBe(false)
  })
  it('sends a step 1 of a given state vector on the open socket, and reports the relay\'s answer as a step 2 frame', async () => {
    const relayDoc = new Y.Doc()
    relayDoc.getArray<string>('entries').push(['a', 'b', 'c'])
    const { relay, link, events } = await linked(relayDoc)
    expect(link.sendStep1(Y.encodeStateVector(new Y.Doc()))).toBe(false)
    link.connect()
    await waitFor(() => expect(events.some((e) => e.kind === 'synced')).toBe(true))
    const step2s = () => events.filter((e) => e.kind === 'frame' && e.frame.type === 'sync-step2')
    expect(step2s()).toHaveLength(1)
    // Ask again from nothing: the relay's answer holds its three entries again.
    expect(link.sendStep1(Y.encodeStateVector(new Y.Doc()))).toBe(true)
    await waitFor(() => expect(step2s()).toHaveLength(2))
    const answer = step2s()[1]!
    const replica = new Y.Doc()
    if (answer.kind === 'frame' && answer.frame.type === 'sync-step2') Y.applyUpdate(replica, answer.frame.update)
    expect(replica.getArray('entries').toArray()).toEqual(['a', 'b', 'c'])
    const sent = relay.sockets[0]!.received.filter((frame) => frame[0] === MessageType.Sync && frame[1] === 0)
    expect(sent).toHaveLength(2)
  })

  it('closes and is destroyed after its doc moved to another client id (issue 18: destroy threw a TypeError)', async () => {
    const { relay, link, doc, events } = await linked()
    link.connect()
    await waitFor(() => expect(events.some((e) => e.kind === 'synced')).toBe(true))
    const before = doc.clientID
    // Someone else writes at this doc's client id: Yjs moves the doc to a new id when it applies
    // that (the delivery check does the same when a clock of this device was taken on the relay).
    const impostor = new Y.Doc()
    impostor.clientID = before
    impostor.getArray<string>('entries').push(['pris'])
    relay.sockets[0]!.socket.send(encodeUpdate(Y.encodeStateAsUpdate(impostor)))
    await waitFor(() => expect(doc.clientID).not.toBe(before))
    // y-websocket's disconnect announced an awareness removal encoded under doc.clientID, which the
    // awareness (created with the old id) has no record of: a TypeError, on disconnect and destroy.
    expect(() => link.disconnect()).not.toThrow()
    link.connect()
    await waitFor(() => expect(relay.sockets).toHaveLength(2))
    expect(() => link.destroy()).not.toThrow()
  })

  it('counts the relay\'s keep-alive as heard, which is what y-websocket\'s 30 s silence watchdog reads', async () => {
    const { relay, link, events } = await linked()
    link.connect()
    await waitFor(() => expect(events.some((e) => e.kind === 'synced')).toBe(true))
    const before = link.lastHeardAt
    await new Promise((resolve) => setTimeout(resolve, 20))
    relay.sockets[0]!.socket.send(KEEP_ALIVE_FRAME)
    await waitFor(() => expect(events.at(-1)).toEqual({ kind: 'frame', frame: { type: 'keep-alive' }, from: 'relay' }))
    expect(link.lastHeardAt).toBeGreaterThan(before)
    expect(link.hasSocket).toBe(true)
  })

  it('applies a big step 2 in slices with the thread given back between them, synced after the last, later frames after it', async () => {
    // 48 entries of 100 KB from two writers: 4.8 MB, about ten slices of half a megabyte.
    const relayDoc = new Y.Doc()
    const writer = new Y.Doc()
    for (let i = 0; i < 24; i++) {
      relayDoc.getArray('entries').push([{ d: `r${i}`.padEnd(22, 'r'), c: new Uint8Array(100_000).fill(i) }])
      writer.getArray('entries').push([{ d: `w${i}`.padEnd(22, 'w'), c: new Uint8Array(100_000).fill(i) }])
    }
    Y.applyUpdate(relayDoc, Y.encodeStateAsUpdate(writer))
    let doc: Y.Doc | null = null
    const seenBetweenSlices: number[] = []
    const nextSlice = async () => {
      seenBetweenSlices.push(doc!.getArray('entries').length)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    const setup = await linked(relayDoc, { nextSlice })
    doc = setup.doc
    const { link, events } = setup
    link.connect()
    await waitFor(() => expect(events.some((e) => e.kind === 'synced')).toBe(true))
    expect(doc.getArray('entries').length).toBe(48)
    // Applied in steps: the page saw the doc grow between slices, never the whole at once.
    expect(seenBetweenSlices.length).toBeGreaterThanOrEqual(4)
    expect(seenBetweenSlices[0]).toBeGreaterThan(0)
    expect(seenBetweenSlices.at(-1)).toBeLessThan(48)
    expect(seenBetweenSlices).toEqual([...seenBetweenSlices].sort((a, b) => a - b))
    // The ACK the relay sent right after its step 2 was handled after the step 2's last slice.
    const kinds = events.map((e) => (e.kind === 'frame' ? e.frame.type : e.kind))
    await waitFor(() => expect(events.map((e) => (e.kind === 'frame' ? e.frame.type : e.kind))).toContain('ack'))
    expect(kinds.indexOf('synced')).toBeLessThan(events.map((e) => (e.kind === 'frame' ? e.frame.type : e.kind)).indexOf('ack'))
    expect(Y.encodeStateVector(doc)).toEqual(Y.encodeStateVector(relayDoc))
    expect(doc.store.pendingStructs).toBeNull()
  })

  it('answers nothing on a closed socket for a frame that waited behind a sliced update', async () => {
    const relayDoc = new Y.Doc()
    for (let i = 0; i < 40; i++) relayDoc.getArray('entries').push([{ d: `r${i}`.padEnd(22, 'r'), c: new Uint8Array(100_000) }])
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    const { relay, link, doc, events } = await linked(relayDoc, { nextSlice: () => gate })
    link.connect()
    await waitFor(() => expect(doc.getArray('entries').length).toBeGreaterThan(0))
    // The relay's ACK waits behind the slices; the socket closes before they are done.
    await waitFor(() => expect(relay.sockets[0]!.received.length).toBeGreaterThan(0))
    link.disconnect()
    await waitFor(() => expect(events.at(-1)).toEqual({ kind: 'closed', code: null }))
    release()
    await waitFor(() => expect(doc.getArray('entries').length).toBe(40))
    // The data is kept (it came from the relay), but that socket's handshake is not called synced.
    expect(events.some((e) => e.kind === 'synced')).toBe(false)
    expect(events.some((e) => e.kind === 'frame' && e.frame.type === 'ack')).toBe(false)
  })

  it('with framed answers offered, applies the relay\'s answer in frames, come in one burst, over several turns of the page, in order, each reported before it is applied', async () => {
    // 40 entries of 30 KB: an answer in frames of about 64 KiB (relay/src/rooms/frames.ts), 1.2 MB,
    // none of them big enough to be sliced on its own.
    const relayDoc = new Y.Doc()
    for (let i = 0; i < 40; i++) relayDoc.getArray('entries').push([{ d: `r${i}`.padEnd(22, 'r'), c: new Uint8Array(30_000).fill(i) }])
    const frames = encodeSyncStep2Frames(relayDoc, Y.encodeStateVector(new Y.Doc()), 64 * 1024, true)
    expect(frames.length).toBeGreaterThanOrEqual(15)
    let doc: Y.Doc | null = null
    const seenAtTurns: number[] = []
    const nextSlice = async () => {
      seenAtTurns.push(doc!.getArray('entries').length)
      // The first turn lasts until every frame has arrived: they wait behind it together, as a
      // browser hands a busy page a socket's buffered messages in one task.
      await new Promise((resolve) => setTimeout(resolve, seenAtTurns.length === 1 ? 300 : 1))
    }
    // When each sync frame is reported: how many entries the doc held then (the delivery check takes a frame before it is applied).
    const heldWhenReported: number[] = []
    const setup = await linked(relayDoc, {
      nextSlice,
      answer: () => frames,
      onEvent: (event, at) => {
        if (event.kind === 'frame' && (event.frame.type === 'sync-update' || event.frame.type === 'sync-step2')) heldWhenReported.push(at.getArray('entries').length)
      },
      framedAnswers: true,
    })
    doc = setup.doc
    const { link, events } = setup
    link.connect()
    await waitFor(() => expect(events.some((e) => e.kind === 'synced')).toBe(true))
    await waitFor(() => expect(events.some((e) => e.kind === 'frame' && e.frame.type === 'ack')).toBe(true))
    // (Compared by name and first byte: a deep comparison of 1.2 MB of bytes takes the test seconds.)
    const summary = (d: Y.Doc) => d.getArray<{ d: string; c: Uint8Array }>('entries').map((e) => `${e.d}:${e.c[0]}:${e.c.byteLength}`)
    expect(summary(doc)).toEqual(summary(relayDoc))
    expect(Y.encodeStateVector(doc)).toEqual(Y.encodeStateVector(relayDoc))
    // Applied over several turns, the doc growing between them, never all in one.
    // Two frames of 30 KB entries fill PACED_FRAME_BYTES: a turn every two frames at least.
    expect(seenAtTurns.length).toBeGreaterThanOrEqual(Math.floor(frames.length / 2) - 1)
    expect(seenAtTurns[0]).toBeGreaterThan(0)
    expect(seenAtTurns[0]).toBeLessThan(40)
    expect(seenAtTurns).toEqual([...seenAtTurns].sort((a, b) => a - b))
    // Every frame reported once, in the order sent, before it was applied: the doc grows after each report.
    const kinds = events.map((e) => (e.kind === 'frame' ? e.frame.type : e.kind))
    const syncKinds = kinds.filter((k) => k === 'sync-update' || k === 'sync-step2')
    expect(syncKinds).toEqual([...Array.from({ length: frames.length - 1 }, () => 'sync-update'), 'sync-step2'])
    expect(heldWhenReported).toEqual([...heldWhenReported].sort((a, b) => a - b))
    expect(new Set(heldWhenReported).size).toBe(heldWhenReported.length)
    // Synced at the step 2 that ends the answer, and the ACK sent after it handled after that.
    expect(kinds.indexOf('synced')).toBeGreaterThan(kinds.lastIndexOf('sync-update'))
    expect(kinds.indexOf('ack')).toBeGreaterThan(kinds.indexOf('synced'))
    expect(doc.store.pendingStructs).toBeNull()
  })

  it('without framed answers offered (the app\'s default), applies frames as they come, as before: no turn between them', async () => {
    const relayDoc = new Y.Doc()
    for (let i = 0; i < 40; i++) relayDoc.getArray('entries').push([{ d: `r${i}`.padEnd(22, 'r'), c: new Uint8Array(30_000).fill(i) }])
    const frames = encodeSyncStep2Frames(relayDoc, Y.encodeStateVector(new Y.Doc()), 64 * 1024, true)
    let turns = 0
    const { link, doc, events } = await linked(relayDoc, { nextSlice: async () => void turns++, answer: () => frames })
    link.connect()
    await waitFor(() => expect(events.some((e) => e.kind === 'frame' && e.frame.type === 'ack')).toBe(true))
    expect(doc.getArray('entries').length).toBe(40)
    expect(turns).toBe(0)
  })
})
