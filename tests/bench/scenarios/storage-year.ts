/**
 * (g) Storage after a year of edits: the agenda is booked in advance (every appointment written
 * 'booked'), then the year is lived day by day on device A, one flush per batch as the app would
 * write it: each practitioner-day's appointments get their outcome (fulfilled, no-show, cancelled
 * with a reason; a reminder note on 1 in 20), a patient's phone changes and a note is added to a
 * patient file every day. Then: A's envelope and the relay's rows against the plaintext states, as
 * synced (the app's compaction rule ran), after every doc is compacted on the device, and after
 * the relay compacts its room.
 *
 * One practitioner by default (the practitioners of the shared practice with --full), on a relay
 * of its own. Floor: the plaintext inner-doc states after the year (Y.encodeStateAsUpdate).
 */
import * as Y from 'yjs'
import { createPractice } from '../../../client/src/sync/device/device'
import type { Actor } from '../../../shared/src/model/actor'
import { DIRECTORY_DOC_ID, agendaDocId, patientDocId } from '../../../shared/src/model/doc-ids'
import { listAppointments, updateAppointment } from '../../../shared/src/model/agenda'
import { updatePatient } from '../../../shared/src/model/patients'
import { addNote } from '../../../shared/src/model/patient-file'
import { startRelayProcess } from '../../helpers/relay-process'
import { benchEnvironment, deleteDeviceDatabases } from '../bench-device'
import { localToday } from '../fixture'
import { defaultSpec, planPractice, steppingClock, writePractice, type PracticePlan } from '../generate'
import type { Row } from '../report'
import type { BenchContext, Scenario } from '../scenario'
import { relayStorage } from './storage'

function bookedInAdvance(plan: PracticePlan): PracticePlan {
  const agenda = new Map([...plan.agenda].map(([month, days]) => [month, days.map((day) => day.map((a) => ({ ...a, status: 'booked' as const, cancelReason: undefined })))]))
  return { ...plan, agenda }
}

async function plaintextBytes(openDoc: (id: string) => Promise<Y.Doc>, docIds: readonly string[]): Promise<number> {
  let total = 0
  for (const id of docIds) total += Y.encodeStateAsUpdate(await openDoc(id)).byteLength
  return total
}

export const storageYear: Scenario = {
  id: 'storage-year',
  async run({ options, log, detail }: BenchContext): Promise<Row[]> {
    const practitioners = options.full ? options.practitioners : 1
    const patients = Math.max(100, Math.round((options.patients * practitioners) / options.practitioners))
    const relay = await startRelayProcess()
    const env = benchEnvironment('year')
    try {
      const a = await createPractice({ relayUrl: relay.url, practiceName: 'Cabinet de la Croix-Rousse', practitioner: { displayName: 'Olivier Besson', profession: 'kine' } }, env)
      const { space } = a
      const actor: Actor = { deviceId: a.record.deviceId, memberId: a.record.memberId ?? 'setup' }
      const plan = planPractice(defaultSpec(localToday(), { seed: options.seed, practitioners, patients, months: 12 }))
      const [y, m] = plan.spec.firstMonth.split('-').map(Number) as [number, number]
      const clock = steppingClock(Date.UTC(y, m - 1, 1), 60_000)
      const openDoc = (id: string) => space.openDoc(id)
      const written = await writePractice({ openDoc, afterBatch: () => space.flush() }, bookedInAdvance(plan), actor, clock)
      await space.whenAcknowledged(180_000)
      const asBooked = await plaintextBytes(openDoc, written.docIds)

      const started = performance.now()
      const directory = await openDoc(DIRECTORY_DOC_ID)
      let edits = 0
      let day = 0
      const filesWritten = new Set<string>()
      for (const [month, days] of plan.agenda) {
        const doc = await openDoc(agendaDocId(month))
        const stored = listAppointments(doc).items
        for (const planned of days) {
          const date = planned[0]!.start.slice(0, 10)
          const practitionerId = written.practitionerIds[planned[0]!.practitioner]!
          const byStart = new Map(stored.filter((s) => s.practitionerId === practitionerId && s.start.startsWith(date)).map((s) => [s.start, s.id]))
          doc.transact(() => {
            planned.forEach((a, i) => {
              const id = byStart.get(a.start)
              if (!id) throw new Error(`Appointment ${a.start} of practitioner ${a.practitioner} was not written`)
              const patch = {
                ...(a.status !== 'booked' ? { status: a.status, cancelReason: a.cancelReason ?? null } : {}),
                ...(i % 20 === 0 ? { note: 'Apporter l’ordonnance et les radios' } : {}),
              }
              if (Object.keys(patch).length > 0 && updateAppointment(doc, id, patch, actor, clock)) edits++
            })
          })
          await space.flush()
          // One patient's phone changes and one note is written, every working day.
          const patientId = written.patientIds[(day * 7) % written.patientIds.length]!
          updatePatient(directory, patientId, { phones: [`06 ${String(day % 100).padStart(2, '0')} 12 34 56`] }, actor, clock)
          await space.flush()
          const fileId = patientDocId(written.patientIds[(day * 13) % written.patientIds.length]!)
          filesWritten.add(fileId)
          const file = await openDoc(fileId)
          addNote(file, { date, kind: 'session', text: `Séance du ${date} : exercices poursuivis, bonne tolérance, douleur en baisse.` }, actor, clock)
          await space.flush()
          edits += 2
          day++
        }
      }
      await space.whenAcknowledged(180_000)
      await space.settle()
      await space.whenAcknowledged(180_000)
      const editMs = performance.now() - started
      const allDocs = [...new Set([...written.docIds, ...filesWritten])]
      const plaintext = await plaintextBytes(openDoc, allDocs)
      const synced = { envelope: space.inspect.envelopeStats().bytes, entries: space.inspect.envelopeStats().entries, relay: relayStorage(relay.dataDir, a.record.spaceId) }
      log(`  (g) ${edits} edits over ${day} practitioner-days in ${Math.round(editMs)} ms: envelope ${synced.envelope} B in ${synced.entries} entries, plaintext ${plaintext} B (as booked ${asBooked} B)`)
      for (const id of allDocs) await space.compact(id)
      await space.whenAcknowledged(180_000)
      const compacted = { envelope: space.inspect.envelopeStats().bytes, entries: space.inspect.envelopeStats().entries }
      await space.destroy()
      await relay.stop('SIGTERM')
      const relayAfter = relayStorage(relay.dataDir, a.record.spaceId)
      log(`  (g) compacted: envelope ${compacted.envelope} B in ${compacted.entries} entries; relay ${relayAfter.rowBytes} B in ${relayAfter.rows} rows`)
      detail('storage-year', { practitioners, patients, edits, days: day, editMs, asBooked, plaintext, synced, compacted, relayAfter, docs: allDocs.length })
      const scenario = `g. storage after a year of edits (${practitioners} practitioner(s), ${edits} edits, ${allDocs.length} docs)`
      const row = (metric: string, ours: number, unit: Row['unit'] = 'bytes', floor: number | null = plaintext): Row => ({ scenario, metric, unit, ours, floor, stat: 'single measurement' })
      return [
        row('plaintext states: as booked → after the year', plaintext, 'bytes', asBooked),
        row('envelope state, as synced (app compaction)', synced.envelope),
        row('envelope state, every doc compacted', compacted.envelope),
        row('envelope entries, as synced', synced.entries, 'count', null),
        row('envelope entries, every doc compacted', compacted.entries, 'count', null),
        row(`relay rows, as synced (${synced.relay.rows} rows)`, synced.relay.rowBytes),
        row(`relay rows, after relay compaction (${relayAfter.rows} rows)`, relayAfter.rowBytes),
        row('relay data folder, after relay compaction', relayAfter.folderBytes),
      ]
    } finally {
      await deleteDeviceDatabases(env)
      await relay.dispose()
    }
  },
}
