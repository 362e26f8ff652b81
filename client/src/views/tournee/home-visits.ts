/**
 * The home-visit round (« tournée ») of one practitioner on one day: which visits, in which order,
 * at which address, and how much time there is to drive from one to the next. Pure functions of
 * the day's appointments and the patient index, so the screen only renders what this returns.
 */
import { findOverlaps, overlappingIds, zoneConverter } from '../../../../shared/src/model'
import type { Address, Appointment, Patient, ZoneConverter } from '../../../../shared/src/model'

export type HomeVisit = {
  readonly appointment: Appointment
  /** Undefined when the patient is not (yet) in this device's directory. */
  readonly patient: Patient | undefined
  /** Where to go: the appointment's own address if set, else the patient's; undefined if neither. */
  readonly address: Address | undefined
  readonly addressSource: 'appointment' | 'patient' | 'none'
  /** The patient's first phone number, as stored ('0612345678', '+33612345678'). */
  readonly phone: string | undefined
  /**
   * Real minutes from the end of this visit to the start of the practitioner's next appointment of
   * the day — a visit or an appointment at the practice — null when nothing follows. Negative when
   * the next one starts before this one ends.
   */
  readonly gapToNextMin: number | null
  /** What follows: a home visit of the round, or an appointment at the practice; null when nothing. */
  readonly next: { readonly start: string; readonly place: 'home' | 'practice' } | null
  /** This visit's time intersects another visit of the round. */
  readonly overlaps: boolean
}

/** The practitioner's day: every appointment that takes their time (cancelled ones free it). */
function isOfDay(a: Appointment, practitionerId: string, day: string): boolean {
  return a.practitionerId === practitionerId && a.start.slice(0, 10) === day && a.status !== 'cancelled' && a.deletedAt === undefined
}

/** Cancelled visits are not part of the round: nobody drives there. */
function isOnRound(a: Appointment, practitionerId: string, day: string): boolean {
  return a.place === 'home' && isOfDay(a, practitionerId, day)
}

/** The address a visit goes to: the one written on the appointment wins over the patient's. */
export function visitAddress(
  appointment: Pick<Appointment, 'address'>,
  patient: Pick<Patient, 'address'> | undefined,
): { address: Address | undefined; source: HomeVisit['addressSource'] } {
  if (appointment.address) return { address: appointment.address, source: 'appointment' }
  if (patient?.address) return { address: patient.address, source: 'patient' }
  return { address: undefined, source: 'none' }
}

/**
 * The round: `practitionerId`'s home visits on `day` (local date) in time order, each with its
 * address, phone, free time before what comes next and overlap flag. The free time counts every
 * appointment of the practitioner that day, at the practice too: eight sessions at the practice
 * between two visits leave no « 4 h libres ». Gaps are measured on real instants, so a round on
 * the night of a DST change still counts true minutes.
 */
export function homeVisitRound(
  appointments: readonly Appointment[],
  patients: ReadonlyMap<string, Patient>,
  practitionerId: string,
  day: string,
): HomeVisit[] {
  const zones = new Map<string, ZoneConverter>()
  const instant = (a: Appointment) => {
    let zone = zones.get(a.timeZone)
    if (!zone) {
      zone = zoneConverterOrUtc(a.timeZone)
      zones.set(a.timeZone, zone)
    }
    return zone.toInstant(a.start)
  }
  const busy = appointments
    .filter((a) => isOfDay(a, practitionerId, day))
    .map((a) => ({ a, start: instant(a) }))
    .sort((x, y) => x.start - y.start || x.a.id.localeCompare(y.a.id))
  const visits = busy.filter(({ a }) => isOnRound(a, practitionerId, day))
  const overlapping = overlappingIds(findOverlaps(visits.map((v) => v.a)))
  return visits.map(({ a, start }) => {
    const patient = a.patientId ? patients.get(a.patientId) : undefined
    const { address, source } = visitAddress(a, patient)
    // What follows: the first appointment after this one in the day's order (same start: by id).
    const index = busy.findIndex((b) => b.a.id === a.id)
    const following = busy[index + 1]
    const gapToNextMin = following ? Math.round((following.start - (start + a.durationMin * 60_000)) / 60_000) : null
    return {
      appointment: a,
      patient,
      address,
      addressSource: source,
      phone: patient?.phones?.[0],
      gapToNextMin,
      next: following ? { start: following.a.start, place: following.a.place } : null,
      overlaps: overlapping.has(a.id) || (gapToNextMin !== null && gapToNextMin < 0),
    }
  })
}

// A zone name this runtime does not know (another device's newer tz data) is computed as UTC, as
// the agenda does, so the round still shows.
function zoneConverterOrUtc(timeZone: string): ZoneConverter {
  try {
    return zoneConverter(timeZone)
  } catch (error) {
    if (error instanceof RangeError) return zoneConverter('UTC')
    throw error
  }
}

/** '12 rue des Lilas, 69003 Lyon': the address as a maps application searches for it. */
export function addressQuery(address: Pick<Address, 'line1' | 'line2' | 'postalCode' | 'city'>): string {
  return [address.line1, address.line2, `${address.postalCode} ${address.city}`]
    .filter((part): part is string => part !== undefined && part.trim() !== '')
    .map((part) => part.trim())
    .join(', ')
}

/** A phone number as a `tel:` URI (RFC 3966): the digits and the leading '+' only. */
export function telHref(phone: string): string {
  return `tel:${phone.replace(/[^\d+]/g, '')}`
}
