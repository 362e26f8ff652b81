/**
 * The practice's settings live in the directory's top-level map `practice` (one record, not a
 * collection): name, time zone, locale, with the same stamps as any record.
 */
import type * as Y from 'yjs'
import type { Actor, Clock } from './actor'
import { addAppointmentKind, DEFAULT_APPOINTMENT_KINDS } from './appointment-kinds'
import { DIRECTORY_MAPS } from './collections'
import { LOCK_AFTER_MINUTES, practiceFields } from './input-schemas'
import type { Patch, PracticeInitInput, PracticeInput } from './input-schemas'
import { addPractitioner } from './practitioners'
import { practiceRecord } from './record-schemas'
import type { Practice } from './record-schemas'
import { recordFields, writeChangedFields } from './records'
import type { RecordIssue } from './records'
import { applyPatch, checkSchema, validatePracticeInit, validatePracticeInput } from './validation'

export const DEFAULT_TIME_ZONE = 'Europe/Paris'
export const DEFAULT_LOCALE = 'fr-FR'

const KEYS = Object.keys(practiceFields.shape)

function practiceMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap<unknown>(DIRECTORY_MAPS.practice)
}

/**
 * Creates the practice: settings, its first practitioner and the default appointment kinds.
 * Returns the first practitioner's id. Meant to run once, on the device that creates the practice.
 */
export function initPractice(doc: Y.Doc, input: PracticeInitInput, actor: Actor, clock: Clock): string {
  const { firstPractitioner, ...settings } = validatePracticeInit(input)
  let practitionerId = ''
  doc.transact(() => {
    const map = practiceMap(doc)
    const now = clock()
    map.set('name', settings.name)
    map.set('timeZone', settings.timeZone ?? DEFAULT_TIME_ZONE)
    map.set('locale', settings.locale ?? DEFAULT_LOCALE)
    map.set('createdAt', now)
    map.set('createdBy', { memberId: actor.memberId, deviceId: actor.deviceId })
    map.set('updatedAt', now)
    map.set('updatedBy', { memberId: actor.memberId, deviceId: actor.deviceId })
    practitionerId = addPractitioner(doc, firstPractitioner, actor, clock)
    for (const kind of DEFAULT_APPOINTMENT_KINDS) addAppointmentKind(doc, kind, actor, clock)
  })
  return practitionerId
}

export type PracticeRead = { practice: Practice | undefined; issue?: RecordIssue }

/** The practice settings, or undefined before `initPractice` has run (or synced). */
export function getPractice(doc: Y.Doc): Practice | undefined {
  return readPractice(doc).practice
}

/** Like getPractice, and says why settings that exist could not be read. */
export function readPractice(doc: Y.Doc): PracticeRead {
  const map = practiceMap(doc)
  if (map.size === 0) return { practice: undefined }
  const checked = checkSchema(practiceRecord, map.toJSON())
  if (checked.ok) return { practice: checked.value }
  return { practice: undefined, issue: { collection: DIRECTORY_MAPS.practice, id: '', issues: checked.issues } }
}

export function updatePractice(doc: Y.Doc, patch: Patch<PracticeInput>, actor: Actor, clock: Clock): boolean {
  const map = practiceMap(doc)
  const next = validatePracticeInput(applyPatch(recordFields(map), patch, 'practice'))
  return writeChangedFields(
    doc,
    map,
    { ...next, timeZone: next.timeZone ?? DEFAULT_TIME_ZONE, locale: next.locale ?? DEFAULT_LOCALE },
    KEYS,
    actor,
    clock,
  )
}

/**
 * Minutes without use after which a device of the practice locks: the practice's setting, or the
 * default (5) while the directory has not synced yet or when none was chosen.
 */
export function lockAfterMinutesOf(practice: Practice | null | undefined): number {
  return practice?.lockAfterMinutes ?? LOCK_AFTER_MINUTES.default
}

/** The practice's time zone, or the default while the directory has not synced yet. */
export function practiceTimeZone(doc: Y.Doc): string {
  return getPractice(doc)?.timeZone ?? DEFAULT_TIME_ZONE
}
