import { describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { bindMergeCycleSettling } from './merge-cycles'
import { mergePatients } from './patient-duplicates'
import { PatientRedirects } from './patient-redirects'
import { addPatient, listPatients } from './patients'
import { alice, bob, fork, steppingClock } from './test-support'

describe('settling merge cycles as they arrive', () => {
  it('restores the survivor when a remote merge in the other direction arrives, and leaves cycles alone once stopped', () => {
    const clock = steppingClock()
    const here = new Y.Doc()
    const older = addPatient(here, { birthName: 'Durand', firstNames: 'Paul' }, alice, clock)
    const newer = addPatient(here, { birthName: 'Durand', firstNames: 'Paul' }, alice, clock)
    const there = fork(here)
    const stop = bindMergeCycleSettling(here, alice, clock)
    mergePatients(here, older, newer, alice, clock)
    expect(listPatients(here).items.map((p) => p.id)).toEqual([older])

    // The other device merged the other way while offline: its update makes a cycle here.
    mergePatients(there, newer, older, bob, clock)
    Y.applyUpdate(here, Y.encodeStateAsUpdate(there, Y.encodeStateVector(here)))
    expect(listPatients(here).items.map((p) => p.id)).toEqual([older])

    stop()
    const third = addPatient(here, { birthName: 'Durand', firstNames: 'Paul' }, alice, clock)
    const again = fork(here)
    mergePatients(again, third, older, bob, clock)
    const other = fork(here)
    mergePatients(other, older, third, bob, clock)
    Y.applyUpdate(here, Y.encodeStateAsUpdate(again, Y.encodeStateVector(here)))
    Y.applyUpdate(here, Y.encodeStateAsUpdate(other, Y.encodeStateVector(here)))
    // No longer watching: the new cycle waits, both records hidden.
    expect(listPatients(here).items).toEqual([])
  })

  it('reads the directory\'s redirects again only for a remote change that writes one, not for patients arriving without one', () => {
    // Issue 17, eleventh pass: a join's directory arrives as hundreds of transactions (frames of
    // 64 KiB, applied a turn each); reading 20,000 patients' redirects after each was most of a
    // task of 2.2 s after the join in the bench's profile.
    const clock = steppingClock()
    const here = new Y.Doc()
    const kept = addPatient(here, { birthName: 'Martin', firstNames: 'Anne' }, alice, clock)
    const there = fork(here)
    const read = vi.spyOn(PatientRedirects, 'fromDirectory')
    try {
      const stop = bindMergeCycleSettling(here, alice, clock)
      read.mockClear()
      for (let i = 0; i < 3; i++) addPatient(there, { birthName: `Nouveau${i}`, firstNames: 'Test' }, bob, clock)
      Y.applyUpdate(here, Y.encodeStateAsUpdate(there, Y.encodeStateVector(here)))
      expect(listPatients(here).items).toHaveLength(4)
      expect(read).not.toHaveBeenCalled()
      // A whole record that arrives already merged away carries a redirect: read again.
      const duplicate = addPatient(there, { birthName: 'Martin', firstNames: 'Anne' }, bob, clock)
      mergePatients(there, kept, duplicate, bob, clock)
      Y.applyUpdate(here, Y.encodeStateAsUpdate(there, Y.encodeStateVector(here)))
      expect(read).toHaveBeenCalledTimes(1)
      stop()
    } finally {
      read.mockRestore()
    }
  })
})
