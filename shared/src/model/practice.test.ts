import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { fixedClock } from './actor'
import {
  addAppointmentKind,
  kindsOfferedBy,
  listAppointmentKinds,
  reinstateAppointmentKind,
  retireAppointmentKind,
  softDeleteAppointmentKind,
  updateAppointmentKind,
} from './appointment-kinds'
import { issuesOf } from './test-support/issues-of'
import { getPractice, initPractice, lockAfterMinutesOf, practiceTimeZone, readPractice, updatePractice } from './practice'
import { addPractitioner, getPractitioner, LastActivePractitionerError, listPractitioners, updatePractitioner } from './practitioners'
import { addSite, listSites, updateSite } from './sites'
import { ValidationError } from './validation'
import { T0, alice, bob, exchange, fork } from './test-support'

const init = { name: 'Cabinet des Lilas', firstPractitioner: { displayName: 'Jeanne Roux', profession: 'kine' as const } }

describe('practice', () => {
  it('creates settings, the first practitioner and the French default kinds', () => {
    const doc = new Y.Doc()
    expect(getPractice(doc)).toBeUndefined()
    expect(practiceTimeZone(doc)).toBe('Europe/Paris')
    const practitionerId = initPractice(doc, init, alice, fixedClock(T0))
    expect(getPractice(doc)).toEqual({
      name: 'Cabinet des Lilas',
      timeZone: 'Europe/Paris',
      locale: 'fr-FR',
      createdAt: T0,
      createdBy: alice,
      updatedAt: T0,
      updatedBy: alice,
    })
    expect(getPractitioner(doc, practitionerId)).toMatchObject({ displayName: 'Jeanne Roux', profession: 'kine', active: true })
    const kinds = listAppointmentKinds(doc).items.map((k) => [k.label, k.defaultDurationMin])
    expect(kinds).toEqual([
      ['Bilan', 45],
      ['Première consultation', 45],
      ['Séance', 30],
      ['Visite à domicile', 30],
    ])
  })

  it('takes another time zone and refuses unknown ones', () => {
    const doc = new Y.Doc()
    initPractice(doc, { ...init, timeZone: 'America/Cayenne' }, alice, fixedClock(T0))
    expect(practiceTimeZone(doc)).toBe('America/Cayenne')
    expect(() => initPractice(new Y.Doc(), { ...init, timeZone: 'Paris' }, alice, fixedClock(T0))).toThrow(ValidationError)
  })

  it('merges concurrent edits of practice settings per field', () => {
    const a = new Y.Doc()
    initPractice(a, init, alice, fixedClock(T0))
    const b = fork(a)
    updatePractice(a, { name: 'Cabinet Lilas & Roses' }, alice, fixedClock(T0 + 1))
    updatePractice(b, { timeZone: 'Europe/Brussels' }, bob, fixedClock(T0 + 1))
    exchange(a, b)
    expect(getPractice(a)).toMatchObject({ name: 'Cabinet Lilas & Roses', timeZone: 'Europe/Brussels' })
    expect(getPractice(b)).toEqual(getPractice(a))
  })

  it('keeps the idle time before the lock per practice: 5 minutes unless chosen, 1 to 60 whole minutes', () => {
    const doc = new Y.Doc()
    initPractice(doc, init, alice, fixedClock(T0))
    expect(getPractice(doc)?.lockAfterMinutes).toBeUndefined()
    expect(lockAfterMinutesOf(getPractice(doc))).toBe(5)
    expect(lockAfterMinutesOf(null)).toBe(5)

    expect(updatePractice(doc, { lockAfterMinutes: 15 }, alice, fixedClock(T0 + 1))).toBe(true)
    expect(lockAfterMinutesOf(getPractice(doc))).toBe(15)
    for (const refused of [0, 61, 2.5, -5]) {
      let error: unknown = null
      try {
        updatePractice(doc, { lockAfterMinutes: refused }, alice, fixedClock(T0 + 2))
      } catch (caught) {
        error = caught
      }
      expect(error, `${refused} minutes`).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).issues.map((i) => [i.path, i.code])).toEqual([
        ['lockAfterMinutes', Number.isInteger(refused) ? 'out_of_range' : 'not_integer'],
      ])
    }
    expect(lockAfterMinutesOf(getPractice(doc)), 'a refused value changes nothing').toBe(15)
  })

  it('reads a stored idle time out of bounds as the default, never as no lock', () => {
    const doc = new Y.Doc()
    initPractice(doc, init, alice, fixedClock(T0))
    for (const stored of [0, -1, 1e9, 'jamais', null]) {
      doc.getMap('practice').set('lockAfterMinutes', stored)
      const read = readPractice(doc)
      expect(read.issue, String(stored)).toBeUndefined()
      expect(lockAfterMinutesOf(read.practice), String(stored)).toBe(5)
    }
  })

  it('merges the idle time with the other settings, last writer wins', () => {
    const a = new Y.Doc()
    initPractice(a, init, alice, fixedClock(T0))
    const b = fork(a)
    updatePractice(a, { lockAfterMinutes: 2 }, alice, fixedClock(T0 + 1))
    updatePractice(b, { name: 'Cabinet Lilas' }, bob, fixedClock(T0 + 2))
    exchange(a, b)
    expect(getPractice(b)).toMatchObject({ name: 'Cabinet Lilas', lockAfterMinutes: 2 })
  })

  it('reports unreadable settings instead of throwing', () => {
    const doc = new Y.Doc()
    doc.getMap('practice').set('name', 7)
    const read = readPractice(doc)
    expect(read.practice).toBeUndefined()
    expect(read.issue?.issues.map((i) => i.path)).toContain('name')
  })
})

describe('practitioners, sites, kinds', () => {
  it('lists active practitioners by name, and gives each a colour', () => {
    const doc = new Y.Doc()
    const clock = fixedClock(T0)
    const first = initPractice(doc, init, alice, clock)
    const other = addPractitioner(doc, { displayName: 'Ève Abadie', profession: 'infirmier', rpps: '10 00 12 34 567' }, alice, clock)
    expect(listPractitioners(doc).items.map((p) => p.displayName)).toEqual(['Ève Abadie', 'Jeanne Roux'])
    expect(getPractitioner(doc, other)).toMatchObject({ rpps: '10001234567' })
    expect(getPractitioner(doc, other)?.colour).not.toBe(getPractitioner(doc, first)?.colour)
    updatePractitioner(doc, other, { active: false }, bob, clock)
    expect(listPractitioners(doc).items.map((p) => p.id)).toEqual([first])
    expect(listPractitioners(doc, { includeInactive: true }).items).toHaveLength(2)
  })

  it('keeps kinds added offline on both devices, and soft-deletes them', () => {
    const a = new Y.Doc()
    initPractice(a, init, alice, fixedClock(T0))
    const b = fork(a)
    const ka = addAppointmentKind(a, { label: 'Drainage', defaultDurationMin: 45 }, alice, fixedClock(T0 + 1))
    const kb = addAppointmentKind(b, { label: 'Rééducation périnéale', defaultDurationMin: 30 }, bob, fixedClock(T0 + 1))
    exchange(a, b)
    expect(listAppointmentKinds(a).items).toHaveLength(6)
    updateAppointmentKind(a, ka, { defaultDurationMin: 60 }, alice, fixedClock(T0 + 2))
    softDeleteAppointmentKind(b, kb, bob, fixedClock(T0 + 2))
    exchange(a, b)
    expect(listAppointmentKinds(b).items.find((k) => k.id === ka)?.defaultDurationMin).toBe(60)
    expect(listAppointmentKinds(b).items.some((k) => k.id === kb)).toBe(false)
    expect(listAppointmentKinds(b, { includeDeleted: true }).items.some((k) => k.id === kb)).toBe(true)
  })

  it('edits a practitioner, and refuses to deactivate the last active one', () => {
    const doc = new Y.Doc()
    const clock = fixedClock(T0)
    const first = initPractice(doc, init, alice, clock)
    expect(() => updatePractitioner(doc, first, { active: false }, alice, clock)).toThrow(LastActivePractitionerError)
    const other = addPractitioner(doc, { displayName: 'Ève Abadie', profession: 'infirmier' }, alice, clock)
    updatePractitioner(doc, other, { displayName: 'Ève Abadie-Roux', profession: 'kine', rpps: '10001234567', colour: '#DB2777' }, alice, clock)
    expect(getPractitioner(doc, other)).toMatchObject({ displayName: 'Ève Abadie-Roux', profession: 'kine', rpps: '10001234567', colour: '#db2777' })
    expect(updatePractitioner(doc, first, { active: false }, alice, clock)).toBe(true)
    expect(() => updatePractitioner(doc, other, { active: false }, alice, clock)).toThrow(LastActivePractitionerError)
    // Reactivated, the first can be deactivated again; their record and history stay.
    updatePractitioner(doc, first, { active: true }, alice, clock)
    expect(listPractitioners(doc).items.map((p) => p.id).sort()).toEqual([first, other].sort())
    expect(issuesOf(() => updatePractitioner(doc, other, { displayName: ' ', rpps: '123' }, alice, clock))).toEqual([
      { path: 'displayName', code: 'required' },
      { path: 'rpps', code: 'invalid_rpps' },
    ])
  })

  it('says which practitioners offer a kind, retires and reinstates kinds, and refuses two kinds in use with one name', () => {
    const doc = new Y.Doc()
    const clock = fixedClock(T0)
    const claire = initPractice(doc, init, alice, clock)
    const hugo = addPractitioner(doc, { displayName: 'Hugo Marchetti', profession: 'kine' }, alice, clock)
    const drainage = addAppointmentKind(doc, { label: 'Drainage', defaultDurationMin: 45, practitionerIds: [hugo, hugo] }, alice, clock)
    const kinds = () => listAppointmentKinds(doc, { includeInactive: true }).items
    expect(kinds().find((k) => k.id === drainage)?.practitionerIds).toEqual([hugo])
    expect(kindsOfferedBy(kinds(), claire).map((k) => k.label)).not.toContain('Drainage')
    expect(kindsOfferedBy(kinds(), hugo).map((k) => k.label)).toContain('Drainage')
    // Back to everyone: the list is cleared.
    updateAppointmentKind(doc, drainage, { practitionerIds: null }, alice, clock)
    expect(kindsOfferedBy(kinds(), claire).map((k) => k.label)).toContain('Drainage')

    expect(issuesOf(() => addAppointmentKind(doc, { label: ' SÉANCE ', defaultDurationMin: 30 }, alice, clock))).toEqual([
      { path: 'label', code: 'already_exists' },
    ])
    expect(issuesOf(() => updateAppointmentKind(doc, drainage, { label: 'seance' }, alice, clock))).toEqual([{ path: 'label', code: 'already_exists' }])
    expect(issuesOf(() => addAppointmentKind(doc, { label: 'x'.repeat(81), defaultDurationMin: 4, practitionerIds: [] }, alice, clock))).toEqual([
      { path: 'label', code: 'too_long' },
      { path: 'defaultDurationMin', code: 'out_of_range' },
      { path: 'practitionerIds', code: 'too_short' },
    ])

    const seance = kinds().find((k) => k.label === 'Séance')!.id
    retireAppointmentKind(doc, seance, alice, clock)
    expect(kindsOfferedBy(kinds(), claire).map((k) => k.label)).not.toContain('Séance')
    // Its name is free while it is retired; reinstating it then clashes.
    const other = addAppointmentKind(doc, { label: 'Séance', defaultDurationMin: 20 }, alice, clock)
    expect(() => reinstateAppointmentKind(doc, seance, alice, clock)).toThrow()
    retireAppointmentKind(doc, other, alice, clock)
    expect(reinstateAppointmentKind(doc, seance, alice, clock)).toBe(true)
  })

  it('adds and edits sites', () => {
    const doc = new Y.Doc()
    const id = addSite(doc, { name: 'Annexe', address: { line1: '1 place', postalCode: '69001', city: 'Lyon' } }, alice, fixedClock(T0))
    updateSite(doc, id, { name: 'Annexe Nord' }, alice, fixedClock(T0))
    expect(listSites(doc).items).toEqual([expect.objectContaining({ id, name: 'Annexe Nord', active: true })])
  })
})

describe('the practice holiday country', () => {
  it('is France until the practice says Belgium; another value is refused on the field', () => {
    const doc = new Y.Doc()
    initPractice(doc, init, alice, fixedClock(T0))
    expect(getPractice(doc)?.holidayCountry).toBeUndefined()
    updatePractice(doc, { holidayCountry: 'BE' }, alice, fixedClock(T0 + 1))
    expect(getPractice(doc)?.holidayCountry).toBe('BE')
    try {
      updatePractice(doc, { holidayCountry: 'DE' as 'BE' }, alice, fixedClock(T0 + 2))
      throw new Error('expected a ValidationError')
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).issues.map((i) => [i.path, i.code])).toEqual([['holidayCountry', 'invalid_value']])
    }
    // A country a newer version wrote reads as France rather than hiding the settings.
    doc.getMap('practice').set('holidayCountry', 'LU')
    expect(getPractice(doc)?.name).toBe('Cabinet des Lilas')
    expect(getPractice(doc)?.holidayCountry).toBeUndefined()
  })
})
