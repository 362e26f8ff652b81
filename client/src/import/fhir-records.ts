/**
 * One FHIR resource of Tournée's archive → the model's input for the record it was written from
 * (the inverse of client/src/export/fhir-*.ts). Ids stay the archive's record ids here; the writer
 * (archive-write.ts) maps them to the ids the model gives. Shapes are checked here (fhir-shapes.ts);
 * the model's own validators check the values in archive-read.ts.
 */
import { z } from 'zod'
import { APPOINTMENT_STATUSES, fromInstant, PLACES, PROFESSIONS, type Profession, type Sex } from '../../../shared/src/model'
import { CODE_SYSTEMS, EXTENSIONS } from '../export/fhir-extensions'
import { SERIES_CODE, SERIES_IDENTIFIER_SYSTEM } from '../export/fhir-appointment'
import { NOTE_TITLES } from '../export/fhir-clinical'
import { HOME_LOCATION_ID } from '../export/fhir-practice'
import { PROFESSION_LABELS } from '../export/fhir-practitioner'
import { recordIdOf, SYSTEMS } from '../export/fhir-resource'
import { ArchiveImportError } from './archive-error'
import {
  addressOf,
  addressShape,
  codingList,
  extensionList,
  extensionValue,
  extensionValues,
  fhirId,
  identifierShape,
  readShape,
  referenceOf,
  referenceShape,
} from './fhir-shapes'

export type Where = { readonly file: string; readonly line: number }

/** A record of the archive: its id there, and the model input (ids still the archive's). */
export interface Read<T> {
  readonly archiveId: string
  readonly input: T
  readonly where: Where
}

const base = { id: fhirId, extension: extensionList }

const organization = z.object({ ...base, resourceType: z.literal('Organization'), name: z.string() })

export function readOrganization(value: unknown, where: Where): Record<string, unknown> {
  const r = readShape(organization, value, where)
  return {
    name: r.name,
    timeZone: extensionValue(r.extension, EXTENSIONS.timeZone, 'valueCode'),
    locale: extensionValue(r.extension, EXTENSIONS.locale, 'valueCode'),
    holidayCountry: extensionValue(r.extension, EXTENSIONS.holidayCountry, 'valueCode'),
    lockAfterMinutes: extensionValue(r.extension, EXTENSIONS.lockAfterMinutes, 'valuePositiveInt'),
  }
}

const location = z.object({ ...base, resourceType: z.literal('Location'), name: z.string(), status: z.string().optional(), address: addressShape.optional() })

/** A site (`site-<id>`); the premises and « domicile » Locations are not records: null. */
export function readSite(value: unknown, where: Where): Read<Record<string, unknown>> | null {
  const r = readShape(location, value, where)
  if (!r.id.startsWith('site-')) return null
  return {
    archiveId: recordIdOf(r.id.slice('site-'.length)),
    where,
    input: { name: r.name, active: r.status !== 'inactive', address: r.address ? addressOf(r.address, EXTENSIONS.accessNotes) : undefined },
  }
}

const practitioner = z.object({
  ...base,
  resourceType: z.literal('Practitioner'),
  identifier: z.array(identifierShape).optional(),
  active: z.boolean().optional(),
  name: z.array(z.object({ text: z.string() })).min(1),
})

/** The IDNPS value of an RPPS number is '8' + the 11 digits (fhir-resource.ts). */
function rppsOf(identifiers: ReadonlyArray<{ system?: string | undefined; value: string }> | undefined): string | undefined {
  const value = identifiers?.find((i) => i.system === SYSTEMS.idnps)?.value
  return value?.startsWith('8') ? value.slice(1) : value
}

export function readPractitioner(value: unknown, where: Where): Read<Record<string, unknown>> {
  const r = readShape(practitioner, value, where)
  const hours = extensionValue(r.extension, EXTENSIONS.workingHours, 'valueString')
  let workingHours: unknown
  if (typeof hours === 'string') {
    try {
      workingHours = JSON.parse(hours)
    } catch {
      throw new ArchiveImportError('bad_field', 'horaires illisibles (JSON)', { ...where, field: 'extension(working-hours)' })
    }
  }
  return {
    archiveId: recordIdOf(r.id),
    where,
    input: {
      displayName: r.name[0]!.text,
      rpps: rppsOf(r.identifier),
      active: r.active ?? true,
      colour: extensionValue(r.extension, EXTENSIONS.colour, 'valueString'),
      workingHours,
    },
  }
}

const practitionerRole = z.object({
  ...base,
  resourceType: z.literal('PractitionerRole'),
  practitioner: referenceShape,
  code: z.array(z.object({ coding: codingList, text: z.string().optional() })).optional(),
  notAvailable: z.array(z.object({ extension: extensionList, description: z.string(), during: z.object({ start: z.string(), end: z.string() }) })).optional(),
})

/** An absence as the role says it (fhir-practitioner.ts): dates both inclusive, the label by extension; the model checks the values. */
export type AbsenceRead = Record<string, unknown>

/** The practitioner's id, profession (by code, else by the French label) and absences. */
export function readPractitionerRole(value: unknown, where: Where): { practitionerId: string; profession: Profession; absences: AbsenceRead[] } {
  const r = readShape(practitionerRole, value, where)
  const code = r.code?.[0]
  const coded = code?.coding?.find((c) => c.system === CODE_SYSTEMS.profession)?.code
  const labelled = (Object.entries(PROFESSION_LABELS) as Array<[Profession, string]>).find(([, label]) => label === code?.text)?.[0]
  const profession = (PROFESSIONS as readonly string[]).includes(coded ?? '') ? (coded as Profession) : (labelled ?? 'autre')
  const absences = (r.notAvailable ?? []).map((n) => ({ from: n.during.start, to: n.during.end, label: extensionValue(n.extension, EXTENSIONS.absenceLabel, 'valueString') }))
  return { practitionerId: referenceOf(r.practitioner.reference).id, profession, absences }
}

const healthcareService = z.object({ ...base, resourceType: z.literal('HealthcareService'), name: z.string(), active: z.boolean().optional() })

export function readKind(value: unknown, where: Where): Read<Record<string, unknown>> {
  const r = readShape(healthcareService, value, where)
  const offeredBy = extensionValues(r.extension, EXTENSIONS.offeredBy, 'valueReference').map((ref, i) => {
    const parsed = readShape(referenceShape, ref, { ...where })
    if (!parsed.reference.startsWith('Practitioner/')) throw new ArchiveImportError('bad_field', 'doit désigner un praticien', { ...where, field: `extension(offered-by).${i}` })
    return referenceOf(parsed.reference).id
  })
  return {
    archiveId: recordIdOf(r.id),
    where,
    input: {
      label: r.name,
      active: r.active ?? true,
      defaultDurationMin: extensionValue(r.extension, EXTENSIONS.defaultDuration, 'valuePositiveInt'),
      colour: extensionValue(r.extension, EXTENSIONS.colour, 'valueString'),
      practitionerIds: offeredBy.length > 0 ? offeredBy : undefined,
    },
  }
}

const GENDERS: Readonly<Record<string, Sex>> = { female: 'F', male: 'M', other: 'X', unknown: 'U' }

const patient = z.object({
  ...base,
  resourceType: z.literal('Patient'),
  meta: z.object({ tag: z.array(z.object({ display: z.string() })).optional() }).optional(),
  identifier: z.array(identifierShape).optional(),
  active: z.boolean().optional(),
  name: z.array(z.object({ use: z.string().optional(), family: z.string().optional(), given: z.array(z.string()).optional() })).min(1),
  telecom: z.array(z.object({ system: z.string(), value: z.string(), rank: z.number().optional() })).optional(),
  gender: z.enum(['female', 'male', 'other', 'unknown']).optional(),
  birthDate: z.string().optional(),
  address: z.array(addressShape).optional(),
  generalPractitioner: z.array(z.object({ display: z.string().optional(), identifier: identifierShape.optional() })).optional(),
})

export function readPatient(value: unknown, where: Where): Read<Record<string, unknown>> {
  const r = readShape(patient, value, where)
  const official = r.name.find((n) => n.use === 'official') ?? r.name[0]!
  const usual = r.name.find((n) => n.use === 'usual')
  const phones = (r.telecom ?? []).filter((t) => t.system === 'phone').sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0)).map((t) => t.value)
  const doctor = r.generalPractitioner?.[0]
  return {
    archiveId: recordIdOf(r.id),
    where,
    input: {
      birthName: official.family,
      usualName: usual?.family,
      firstNames: (official.given ?? []).join(' '),
      sex: r.gender ? GENDERS[r.gender] : undefined,
      birthDate: r.birthDate,
      nir: r.identifier?.find((i) => i.system === SYSTEMS.nir)?.value,
      phones: phones.length > 0 ? phones : undefined,
      email: r.telecom?.find((t) => t.system === 'email')?.value,
      address: r.address?.[0] ? addressOf(r.address[0], EXTENSIONS.accessNotes) : undefined,
      referringDoctor: doctor?.display ? { name: doctor.display, rpps: rppsOf(doctor.identifier ? [doctor.identifier] : undefined) } : undefined,
      insurance: extensionValue(r.extension, EXTENSIONS.insurance, 'valueString'),
      reminderOptOut: extensionValue(r.extension, EXTENSIONS.reminderOptOut, 'valueBoolean') === true ? true : undefined,
      tags: r.meta?.tag?.map((t) => t.display),
      archived: r.active === false,
    },
  }
}

const appointment = z.object({
  ...base,
  resourceType: z.literal('Appointment'),
  identifier: z.array(identifierShape).optional(),
  status: z.enum(APPOINTMENT_STATUSES),
  cancelationReason: z.object({ text: z.string() }).optional(),
  serviceType: z.array(z.object({ coding: codingList })).optional(),
  description: z.string().optional(),
  start: z.string(),
  minutesDuration: z.number(),
  comment: z.string().optional(),
  basedOn: z.array(referenceShape).optional(),
  participant: z.array(z.object({ actor: referenceShape.partial() })).min(1),
})

export interface AppointmentRead extends Read<Record<string, unknown>> {
  readonly seriesId?: string
  readonly occurrence?: number
}

export function readAppointment(value: unknown, where: Where, practiceZone: string): AppointmentRead {
  const r = readShape(appointment, value, where)
  const actors = r.participant.flatMap((p) => (p.actor.reference ? [referenceOf(p.actor.reference)] : []))
  const practitioner = actors.find((a) => a.type === 'Practitioner')
  if (!practitioner) throw new ArchiveImportError('bad_field', 'aucun praticien parmi les participants', { ...where, field: 'participant' })
  const timeZone = (extensionValue(r.extension, EXTENSIONS.timeZone, 'valueCode') as string | undefined) ?? practiceZone
  const instant = Date.parse(r.start)
  const localStart = extensionValue(r.extension, EXTENSIONS.localStart, 'valueString') ?? (Number.isNaN(instant) ? r.start : fromInstant(instant, timeZone))
  const home = r.participant.some((p) => p.actor.reference === `Location/${HOME_LOCATION_ID}`)
  const homeAddress = extensionValue(r.extension, EXTENSIONS.homeAddress, 'valueAddress')
  const series = r.identifier?.find((i) => i.system === SERIES_IDENTIFIER_SYSTEM)?.value.match(/^(.+)#(\d+)$/)
  const basedOn = r.basedOn?.map((b) => referenceOf(b.reference)).find((b) => b.type === 'ServiceRequest')
  return {
    archiveId: recordIdOf(r.id),
    where,
    ...(series ? { seriesId: series[1]!, occurrence: Number(series[2]) } : {}),
    input: {
      start: localStart,
      timeZone,
      durationMin: r.minutesDuration,
      practitionerId: practitioner.id,
      patientId: actors.find((a) => a.type === 'Patient')?.id,
      kindId: kindCode(r.serviceType?.[0]?.coding),
      title: r.description,
      place: home ? 'home' : 'practice',
      address: homeAddress ? addressOf(readShape(addressShape, homeAddress, where), EXTENSIONS.accessNotes) : undefined,
      note: r.comment,
      status: r.status,
      cancelReason: r.cancelationReason?.text,
      prescriptionId: basedOn?.id,
    },
  }
}

function kindCode(coding: z.output<typeof codingList>): string | undefined {
  const code = coding?.find((c) => c.system === CODE_SYSTEMS.appointmentKind)?.code
  return code === undefined ? undefined : recordIdOf(code)
}

const basic = z.object({
  ...base,
  resourceType: z.literal('Basic'),
  code: z.object({ coding: codingList }),
  subject: referenceShape.optional(),
  author: referenceShape,
})

export interface SeriesRead extends Read<Record<string, unknown>> {
  readonly rule: string
  readonly total: number
}

/** A series (Basic coded appointment-series); another Basic (not Tournée's): null. */
export function readSeries(value: unknown, where: Where): SeriesRead | null {
  const r = readShape(basic, value, where)
  if (!r.code.coding?.some((c) => c.system === CODE_SYSTEMS.basic && c.code === SERIES_CODE)) return null
  const ext = (url: string, key: string) => extensionValue(r.extension, url, key)
  const rule = ext(EXTENSIONS.seriesRule, 'valueString')
  const total = ext(EXTENSIONS.seriesTotal, 'valuePositiveInt')
  if (typeof rule !== 'string') throw new ArchiveImportError('bad_field', 'valeur manquante', { ...where, field: 'extension(series-rule)' })
  if (typeof total !== 'number') throw new ArchiveImportError('bad_field', 'valeur manquante', { ...where, field: 'extension(series-total)' })
  const kind = ext(EXTENSIONS.seriesKind, 'valueCode')
  const place = ext(EXTENSIONS.seriesPlace, 'valueCode')
  return {
    archiveId: recordIdOf(r.id),
    where,
    rule,
    total,
    input: {
      start: ext(EXTENSIONS.seriesFirstStart, 'valueString'),
      timeZone: ext(EXTENSIONS.timeZone, 'valueCode'),
      durationMin: ext(EXTENSIONS.seriesDuration, 'valuePositiveInt'),
      practitionerId: referenceOf(r.author.reference).id,
      patientId: r.subject ? referenceOf(r.subject.reference).id : undefined,
      kindId: typeof kind === 'string' ? recordIdOf(kind) : undefined,
      title: ext(EXTENSIONS.seriesTitle, 'valueString'),
      place: (PLACES as readonly unknown[]).includes(place) ? place : 'practice',
    },
  }
}

const serviceRequest = z.object({
  ...base,
  resourceType: z.literal('ServiceRequest'),
  subject: referenceShape,
  authoredOn: z.string(),
  requester: z.object({ display: z.string().optional(), identifier: identifierShape.optional() }).optional(),
  reasonCode: z.array(z.object({ text: z.string() })).optional(),
  quantityQuantity: z.object({ value: z.number() }).optional(),
})

export interface FileRecordRead extends Read<Record<string, unknown>> {
  readonly patientId: string
}

export function readPrescription(value: unknown, where: Where): FileRecordRead {
  const r = readShape(serviceRequest, value, where)
  return {
    archiveId: recordIdOf(r.id),
    where,
    patientId: referenceOf(r.subject.reference).id,
    input: {
      prescriberName: r.requester?.display,
      prescriberRpps: rppsOf(r.requester?.identifier ? [r.requester.identifier] : undefined),
      date: r.authoredOn,
      indication: r.reasonCode?.[0]?.text,
      sessionsPrescribed: r.quantityQuantity?.value,
    },
  }
}

const documentReference = z.object({
  ...base,
  resourceType: z.literal('DocumentReference'),
  type: z.object({ text: z.string() }),
  subject: referenceShape,
  content: z
    .array(
      z.object({
        attachment: z.object({
          contentType: z.string().optional(),
          data: z.string().optional(),
          url: z.string().optional(),
          size: z.number().optional(),
          title: z.string().optional(),
          creation: z.string().optional(),
        }),
      }),
    )
    .min(1),
  context: z.object({ related: z.array(referenceShape).optional() }).optional(),
})

function utf8OfBase64(data: string, where: Where): string {
  try {
    const binary = atob(data)
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0))
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new ArchiveImportError('bad_field', 'texte illisible (base64 UTF-8 attendu)', { ...where, field: 'content.0.attachment.data' })
  }
}

export function readNote(value: unknown, where: Where): FileRecordRead {
  const r = readShape(documentReference, value, where)
  const attachment = r.content[0]!.attachment
  const kind = (Object.entries(NOTE_TITLES) as Array<[string, string]>).find(([, title]) => title === r.type.text)?.[0]
  if (!kind) throw new ArchiveImportError('bad_field', `« ${r.type.text} » n'est ni une note de séance ni un bilan`, { ...where, field: 'type.text' })
  return {
    archiveId: recordIdOf(r.id),
    where,
    patientId: referenceOf(r.subject.reference).id,
    input: {
      kind,
      date: attachment.creation,
      text: attachment.data === undefined ? '' : utf8OfBase64(attachment.data, where),
      appointmentId: r.context?.related?.map((x) => referenceOf(x.reference)).find((x) => x.type === 'Appointment')?.id,
    },
  }
}

export interface AttachmentRead extends FileRecordRead {
  /** The file's path in the archive; undefined when the exporting device could not read it. */
  readonly path: string | undefined
}

export function readAttachment(value: unknown, where: Where): AttachmentRead {
  const r = readShape(documentReference, value, where)
  const attachment = r.content[0]!.attachment
  return {
    archiveId: recordIdOf(r.id),
    where,
    patientId: referenceOf(r.subject.reference).id,
    path: attachment.url === undefined ? undefined : attachment.url.split('/').map(decodeURIComponent).join('/'),
    input: {
      name: attachment.title,
      mime: attachment.contentType,
      size: attachment.size,
      prescriptionId: r.context?.related?.map((x) => referenceOf(x.reference)).find((x) => x.type === 'ServiceRequest')?.id,
    },
  }
}
