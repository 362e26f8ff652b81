import { createContext, useContext, useEffect, useMemo } from 'react'
import type { ReactNode } from 'react'
import type { Actor, Clock } from '../../../shared/src/model'
import type { OpenPractice, PracticeRecord } from '../sync/device/device'
import type { PracticeHandle } from '../sync/practice/practice-handle'
import { DigestOverlayCache } from './digest-overlay'
import { DocCache } from './doc-cache'
import { settleMergeCyclesWhileOpen } from './merge-cycle-settler'
import { PatientIndexCache } from './patient-index-cache'
import { PatientMonthIndexer } from './patient-month-indexer'

/** What every view of an open practice may use. No socket, no key: only docs and sync state. */
export interface PracticeContextValue {
  /** The practice's narrow handle (sync/practice/practice-handle.ts), never the engine. */
  readonly space: PracticeHandle
  readonly record: PracticeRecord
  /** Who writes from this device; null until the device has chosen its practitioner. */
  readonly actor: Actor | null
  readonly docs: DocCache
  /** The patient search index of the practice's directory, shared by every view. */
  readonly patientIndexes: PatientIndexCache
  /** The directory digest with this device's patient writes over it, per directory doc. */
  readonly digestOverlays: DigestOverlayCache
  readonly clock: Clock
}

const PracticeContext = createContext<PracticeContextValue | null>(null)

export function PracticeProvider(props: { practice: OpenPractice; clock?: Clock; children: ReactNode }) {
  const { practice, clock = Date.now, children } = props
  const { record } = practice
  // One of each per practice: they outlive re-renders and record changes (choosing a member).
  const { space, docs, patientIndexes, digestOverlays } = useMemo(() => {
    const handle = practice.space.handle()
    return {
      space: handle,
      docs: new DocCache((docId, priority) => handle.acquireDoc(docId, priority)),
      // Once the live directory's index is built, the digest kept for the views meanwhile can go.
      patientIndexes: new PatientIndexCache(handle.nextSlice, () => handle.directoryDigest.release()),
      digestOverlays: new DigestOverlayCache(handle.directoryDigest),
    }
  }, [practice.space])
  // The practice's screens gone (the app locked), no doc lingers here: nothing keeps it in memory.
  useEffect(() => () => docs.releaseAll(), [docs])
  // The index of each patient's agenda months follows every month doc this device writes to.
  useEffect(() => {
    const indexer = new PatientMonthIndexer(docs)
    return () => indexer.dispose()
  }, [docs])
  // Merges made in opposite directions on two offline devices are settled as they arrive.
  const { memberId, deviceId } = record
  useEffect(() => {
    if (memberId === null) return
    return settleMergeCyclesWhileOpen(docs, { memberId, deviceId }, clock)
  }, [docs, memberId, deviceId, clock])
  const value = useMemo<PracticeContextValue>(
    () => ({
      space,
      record,
      actor: record.memberId === null ? null : { memberId: record.memberId, deviceId: record.deviceId },
      docs,
      patientIndexes,
      digestOverlays,
      clock,
    }),
    [space, record, docs, patientIndexes, digestOverlays, clock],
  )
  return <PracticeContext value={value}>{children}</PracticeContext>
}

export function usePractice(): PracticeContextValue {
  const value = useContext(PracticeContext)
  if (!value) throw new Error('usePractice() needs a <PracticeProvider> above it')
  return value
}

/** The writer of this device; only views shown after the member choice may ask for it. */
export function useActor(): Actor {
  const { actor } = usePractice()
  if (!actor) throw new Error('useActor() before this device chose its practitioner')
  return actor
}
