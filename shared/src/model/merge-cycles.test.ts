import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { bindMergeCycleSettling } from './merge-cycles'
import { mergePatients } from './patient-duplicates'
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
})
