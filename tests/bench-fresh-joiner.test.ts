/**
 * Fresh device's joiner children (tests/bench/fresh-joiner.ts): a real child process per sample
 * against a real floor bytes server, its own heap limit, and failures named by kind and run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DIRECTORY_DOC_ID } from '../shared/src/model/doc-ids'
import { encodeDocFrame, startBytesServer, type FloorServer } from './bench/floor-transport'
import { JoinerProcessError, runJoiner } from './bench/fresh-joiner'

const MONTH = 'agenda/2026-11'

describe('fresh joiner child', () => {
  let server: FloorServer
  let frameBytes = 0

  beforeAll(async () => {
    // Two empty docs: the floor lists 0 patients from the directory, and an empty month.
    const frames = [DIRECTORY_DOC_ID, MONTH].map((id) => encodeDocFrame(id, Y.encodeStateAsUpdate(new Y.Doc({ guid: id }))))
    frameBytes = frames.reduce((n, f) => n + f.byteLength, 0)
    server = await startBytesServer(frames)
  })
  afterAll(async () => server.close())

  it('runs one floor sample in a child with its own heap limit and reports it with its peak RSS', async () => {
    const result = await runJoiner(
      { kind: 'floor', url: server.url, docCount: 2, currentMonthDocId: MONTH, patients: 0 },
      { label: 'run 1/1', timeoutMs: 60_000, maxOldSpaceMb: 300 },
    )
    expect(result.sample.bytesReceived).toBe(frameBytes)
    expect(result.sample.syncedMs).toBeGreaterThanOrEqual(result.sample.usableMs)
    expect(result.sample.usableMs).toBeGreaterThan(0)
    expect(result.peakRssBytes).toBeGreaterThan(10 * 2 ** 20)
    // heap_size_limit is the old space given plus the young generation.
    expect(result.heapLimitBytes).toBeGreaterThanOrEqual(300 * 2 ** 20)
    expect(result.heapLimitBytes).toBeLessThan(400 * 2 ** 20)
  })

  it('rejects with the kind, the run and the child’s own error when the sample fails', async () => {
    const failing = runJoiner({ kind: 'floor', url: server.url, docCount: 2, currentMonthDocId: MONTH, patients: 5 }, { label: 'run 2/3', timeoutMs: 60_000 })
    await expect(failing).rejects.toThrow(JoinerProcessError)
    await expect(failing).rejects.toThrow(/Fresh joiner \(floor, run 2\/3\) failed: Error: Listed 0 patients, expected 5/)
  })

  it('kills a child that does not finish in time and says so', async () => {
    // Three docs expected, two sent: the floor waits for ever.
    const hanging = runJoiner({ kind: 'floor', url: server.url, docCount: 3, currentMonthDocId: MONTH, patients: 0 }, { label: 'run 1/1', timeoutMs: 8_000 })
    await expect(hanging).rejects.toThrow(/Fresh joiner \(floor, run 1\/1\) did not finish in 8000 ms/)
  })
})
