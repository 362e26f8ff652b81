import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { addPatient, DIRECTORY_MAPS, fixedClock, getPatient, notePatientMonths } from '../../../shared/src/model'
import { MONTHS_AFTER_TODAY, MONTHS_BEFORE_CREATION, monthsToRelink, monthsToScan } from './patient-merge'

describe('months scanned when merging duplicates', () => {
  it('runs from a year before the older creation to two years after today, in the practice zone', () => {
    // Created on 31 Dec 2025 at 23:30 UTC: already January 2026 in Paris.
    const created = Date.UTC(2025, 11, 31, 23, 30)
    const today = fixedClock(Date.UTC(2026, 10, 22, 12))
    const months = monthsToScan([{ createdAt: Date.UTC(2026, 5, 1) }, { createdAt: created }], 'Europe/Paris', today)
    expect(months[0]).toBe('2025-01')
    expect(months.at(-1)).toBe('2028-11')
    expect(months).toHaveLength(MONTHS_BEFORE_CREATION + 10 + 1 + MONTHS_AFTER_TODAY)
    expect(new Set(months).size).toBe(months.length)
  })
})

describe('months relinked when merging duplicates', () => {
  const actor = { memberId: 'm', deviceId: 'd' }
  const today = fixedClock(Date.UTC(2026, 10, 22, 12))

  it("are only the dropped patient's months when its list is complete, the bounded range otherwise", () => {
    const directory = new Y.Doc()
    const keepId = addPatient(directory, { birthName: 'Durand', firstNames: 'Paul' }, actor, today)
    const dropId = addPatient(directory, { birthName: 'DURAND', firstNames: 'Paul' }, actor, today)
    notePatientMonths(directory, [
      { patientId: dropId, month: '2026-09' },
      { patientId: dropId, month: '2026-12' },
    ])
    const keep = getPatient(directory, keepId)!
    const drop = getPatient(directory, dropId)!
    expect(monthsToRelink(directory, keep, drop, 'Europe/Paris', today)).toEqual(['2026-09', '2026-12'])

    // Created by an older version: no complete list, so every month around it is looked at.
    ;(directory.getMap(DIRECTORY_MAPS.patients).get(dropId) as Y.Map<unknown>).delete('appointmentMonths')
    expect(monthsToRelink(directory, keep, drop, 'Europe/Paris', today)).toEqual(monthsToScan([keep, drop], 'Europe/Paris', today))
  })
})
