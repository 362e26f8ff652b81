/**
 * The practice every scenario works on: a real relay process, device A creating the practice and
 * writing the generated year through its space (one flush per batch, as use would), acknowledged.
 */
import * as Y from 'yjs'
import { createPractice, type DeviceEnvironment, type OpenPractice } from '../../client/src/sync/device/device'
import type { Actor } from '../../shared/src/model/actor'
import { agendaDocId } from '../../shared/src/model/doc-ids'
import { startRelayProcess, type RelayProcess } from '../helpers/relay-process'
import { benchEnvironment, stateVectorOf, type StateVector } from './bench-device'
import { planPractice, steppingClock, writePractice, type PracticePlan, type PracticeSpec, type WrittenPractice } from './generate'
import { grantCode } from '../helpers/pairing-ticket'

export interface BenchPractice {
  relay: RelayProcess
  a: OpenPractice
  envA: DeviceEnvironment
  actorA: Actor
  code: string
  plan: PracticePlan
  written: WrittenPractice
  currentMonthDocId: string
  /** Y.encodeStateAsUpdate of each inner doc on A: the plaintext the floors send. */
  plaintext: Map<string, Uint8Array>
  expected: Map<string, StateVector>
  setupMs: number
}

export function localToday(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`
}

export async function setUpPractice(spec: PracticeSpec, relayEnv: Record<string, string> = {}): Promise<BenchPractice> {
  const started = performance.now()
  const relay = await startRelayProcess({ env: relayEnv })
  const envA = benchEnvironment('a')
  const a = await createPractice(
    { relayUrl: relay.url, practiceName: 'Cabinet de kinésithérapie des Pentes', practitioner: { displayName: 'Inès Quenouillère', profession: 'kine' } },
    envA,
  )
  const actorA: Actor = { deviceId: a.record.deviceId, memberId: a.record.memberId ?? 'setup' }
  const plan = planPractice(spec)
  const [y, m] = spec.firstMonth.split('-').map(Number) as [number, number]
  const written = await writePractice(
    { openDoc: (id) => a.space.openDoc(id), afterBatch: () => a.space.flush() },
    plan,
    actorA,
    steppingClock(Date.UTC(y, m - 1, 1), 60_000),
  )
  await a.space.whenAcknowledged(180_000)
  // Compactions the writes triggered run after a delay: let them run, and reach the relay.
  await a.space.settle()
  await a.space.whenAcknowledged(180_000)
  // What the practice's devices do within their publish interval (digest-sync.ts).
  await a.space.publishDirectoryDigest()
  await a.space.publishWeekDigest()
  const plaintext = new Map<string, Uint8Array>()
  const expected = new Map<string, StateVector>()
  for (const id of written.docIds) {
    const doc = await a.space.openDoc(id)
    plaintext.set(id, Y.encodeStateAsUpdate(doc))
    expected.set(id, stateVectorOf(doc))
  }
  const currentMonthDocId = agendaDocId(spec.today.slice(0, 7))
  if (!plaintext.has(currentMonthDocId)) throw new Error(`The generated agenda has no ${currentMonthDocId}`)
  return {
    relay,
    a,
    envA,
    actorA,
    code: await grantCode(a.record.spaceId, envA),
    plan,
    written,
    currentMonthDocId,
    plaintext,
    expected,
    setupMs: performance.now() - started,
  }
}
