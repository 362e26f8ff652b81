/**
 * Seeded generator of a French practice, written through the model API into Y.Docs, so that the
 * benchmarks measure what the app really stores (same maps, same stamps, same validation).
 *
 * Two steps, so later benchmarks can reuse or extend either:
 *
 *   planPractice(spec)          → PracticePlan: plain data, deterministic for a seed (lib0/prng)
 *   writePractice(sink, plan)   → writes the plan with addPractitioner / addPatient /
 *                                 addAppointment / addNote into the docs the sink opens
 *
 * Or streamed, for practices too big to hold (ten years of ten practitioners is 550,000
 * appointments): outlinePractice(spec) plans everything but the agenda and keeps a cursor per
 * practitioner-month; planMonth(outline, month) plans one month from those cursors, the same
 * month planPractice would; writeDirectory / writeMonth / writeFiles write the parts, each into
 * whichever sink (device) the caller chooses. planPractice is outlinePractice + every planMonth.
 *
 * The plan refers to patients and practitioners by index; record ids are created by the model
 * (128 random bits, never seeded), so two runs store the same shapes and sizes, not the same ids.
 * Stamps come from the clock passed in, not from Date.now.
 *
 * Write granularity is the sink's `afterBatch`: one batch per practitioner-day of agenda, per 50
 * patients, per patient file. A device flushes there, so the envelope gets one entry per batch,
 * roughly as a year of use would write it (and compacts as the app does).
 *
 * What a week looks like (issue 20 found the demo « almost everything Bilan, 7 h 30 and 20 h,
 * one practitioner empty two days a week »): appointments fill each practitioner's working hours
 * (DEFAULT_WORKING_HOURS, the app's: 8:00–12:30 and 13:30–19:00) from the start of each period,
 * never outside them; kinds are found by their French names — « Séance » for most, « Bilan » for
 * a few, « Visite à domicile » for home visits; leave is taken from Monday on; and no two
 * patients are the same person to the duplicate rule (patient-duplicates.ts). `demoSpec` is the
 * week a practice sees in `npm run seed-demo`: every practitioner every weekday.
 */
import type * as Y from 'yjs'
import * as prng from 'lib0/prng'
import type { Actor, Clock } from '../../shared/src/model/actor'
import { DIRECTORY_DOC_ID, agendaDocId, patientDocId } from '../../shared/src/model/doc-ids'
import { addPatient } from '../../shared/src/model/patients'
import { addPractitioner, listPractitioners } from '../../shared/src/model/practitioners'
import { listAppointmentKinds } from '../../shared/src/model/appointment-kinds'
import { addAppointment } from '../../shared/src/model/agenda'
import { addNote } from '../../shared/src/model/patient-file'
import { foldText } from '../../shared/src/model/patient-search'
import { indexAgendaMonth } from '../../shared/src/model/patient-months'
import { DEFAULT_WORKING_HOURS } from '../../shared/src/model/working-hours'
import { addDays } from '../../shared/src/model/dates'
import { newRecordId } from '../../shared/src/model/ids'
import { nirKey } from '../../shared/src/model/nir'
import type { AppointmentStatus, NoteKind, PatientInput, Place, Profession, Sex } from '../../shared/src/model/input-schemas'

export interface PracticeSpec {
  seed: number
  practitioners: number
  patients: number
  /** 'YYYY-MM-DD': appointments before it are past (fulfilled / no-show), after it booked. */
  today: string
  /** First month of the agenda, 'YYYY-MM'. */
  firstMonth: string
  months: number
  appointmentsPerDay: number
  /** Working days per practitioner per 12 months (weekdays minus holidays and leave). */
  workingDaysPerYear: number
  slotMinutes: number
  homeVisitShare: number
  cancelledShare: number
  noShowShare: number
  /** Share of patients with a NIR (valid key); the others have none, as foreigners or children. */
  nirShare: number
  /** Chance that a free slot starts a series: weekly twice, `seriesSessions` sessions, same time. */
  seriesShare: number
  seriesSessions: number
  /** Share of patients who have a clinical file with notes. */
  notesShare: number
  notesPerFile: readonly [min: number, max: number]
  noteChars: readonly [min: number, max: number]
}

/**
 * A busy physiotherapy practice: 25 appointments a day, 20-min slots (25 of them fit the working
 * day; 30-min ones would run past 19:00), 220 days a year.
 * `years` (default 1) sets `months`. The agenda holds today's month, up to 5 months ahead and the
 * rest back: a year is half past, half ahead (the agenda a practice has open around today), and
 * N years go N − 1 years further back.
 */
export function defaultSpec(today: string, overrides: Partial<PracticeSpec> & { years?: number } = {}): PracticeSpec {
  const { years = 1, ...rest } = overrides
  const months = rest.months ?? 12 * years
  const ahead = Math.min(5, Math.floor((months - 1) / 2))
  const [y, m] = today.split('-').map(Number) as [number, number]
  const first = new Date(Date.UTC(y, m - 1 - (months - 1 - ahead), 1))
  return {
    seed: 20_261_123,
    practitioners: 3,
    patients: 2000,
    today,
    firstMonth: `${first.getUTCFullYear()}-${String(first.getUTCMonth() + 1).padStart(2, '0')}`,
    months,
    appointmentsPerDay: 25,
    workingDaysPerYear: 220,
    slotMinutes: 20,
    homeVisitShare: 0.15,
    cancelledShare: 0.05,
    noShowShare: 0.02,
    nirShare: 0.85,
    seriesShare: 0.04,
    seriesSessions: 10,
    notesShare: 0.25,
    notesPerFile: [1, 4],
    noteChars: [200, 800],
    ...rest,
  }
}

/**
 * What an appointment is, found in the practice by the default kinds' names (KIND_LABELS): a
 * practice that renamed or retired one gets its first kind in use instead.
 */
export type KindRole = 'session' | 'assessment' | 'home'

export const KIND_LABELS: { readonly [R in KindRole]: string } = { session: 'Séance', assessment: 'Bilan', home: 'Visite à domicile' }

/** Share of appointments outside series and home visits that are a « Bilan »: a few. */
export const ASSESSMENT_SHARE = 0.06

/**
 * The week `npm run seed-demo` shows: every practitioner every weekday (no leave in a few months),
 * 18 sessions of 30 minutes within the working hours, some home visits, most sessions part of a
 * course of ten.
 */
export function demoSpec(today: string, overrides: Partial<PracticeSpec> = {}): PracticeSpec {
  return defaultSpec(today, {
    appointmentsPerDay: 18,
    slotMinutes: 30,
    workingDaysPerYear: 261,
    homeVisitShare: 0.12,
    seriesShare: 0.12,
    notesShare: 0.3,
    ...overrides,
  })
}

export interface PlannedAppointment {
  start: string
  durationMin: number
  practitioner: number
  patient: number
  kind: KindRole
  place: Place
  status: AppointmentStatus
  cancelReason?: string
  /** Series index (the writer gives each a record id) and 1-based occurrence in it. */
  series?: { index: number; occurrence: number }
}

export interface PlannedNote {
  date: string
  kind: NoteKind
  text: string
}

export interface PracticePlan {
  spec: PracticeSpec
  practitioners: Array<{ displayName: string; profession: Profession }>
  patients: PatientInput[]
  /** month 'YYYY-MM' → practitioner-days, each a list of appointments. */
  agenda: Map<string, PlannedAppointment[][]>
  /** patient index → notes. */
  notes: Map<number, PlannedNote[]>
  /** How many series the agenda holds (indices 0 … series − 1). */
  series: number
}

const FIRST_F = ['Marie', 'Nathalie', 'Isabelle', 'Sylvie', 'Catherine', 'Françoise', 'Christine', 'Monique', 'Valérie', 'Sophie', 'Camille', 'Léa', 'Chloé', 'Manon', 'Emma', 'Inès', 'Jeanne', 'Louise', 'Hélène', 'Élodie', 'Aurélie', 'Margaux', 'Anaïs', 'Brigitte', 'Geneviève', 'Josiane', 'Solène', 'Maëlle', 'Océane', 'Mathilde']
const FIRST_M = ['Jean', 'Pierre', 'Michel', 'Philippe', 'Alain', 'Nicolas', 'Christophe', 'Patrick', 'Laurent', 'Frédéric', 'Thomas', 'Julien', 'Hugo', 'Lucas', 'Louis', 'Gabriel', 'Arthur', 'Raphaël', 'Jules', 'Mathéo', 'François', 'Benoît', 'Gérard', 'Thierry', 'Sébastien', 'Jérôme', 'Yannick', 'Loïc', 'Gaëtan', 'Hervé']
const LAST = ['Martin', 'Bernard', 'Thomas', 'Petit', 'Robert', 'Richard', 'Durand', 'Dubois', 'Moreau', 'Laurent', 'Simon', 'Michel', 'Lefèvre', 'Leroy', 'Roux', 'David', 'Bertrand', 'Morel', 'Fournier', 'Girard', 'Bonnet', 'Dupont', 'Lambert', 'Fontaine', 'Rousseau', 'Vincent', 'Muller', 'Lefebvre', 'Faure', 'André', 'Mercier', 'Blanc', 'Guérin', 'Boyer', 'Garnier', 'Chevalier', 'François', 'Legrand', 'Gauthier', 'Garcia', 'Perrin', 'Robin', 'Clément', 'Morin', 'Nicolas', 'Henry', 'Roussel', 'Mathieu', 'Gautier', 'Masson', 'Marchand', 'Duval', 'Denis', 'Dumont', 'Marie', 'Lemaire', 'Noël', 'Meyer', 'Dufour', 'Meunier', 'Brun', 'Blanchard', 'Giraud', 'Joly', 'Rivière', 'Lucas', 'Brunet', 'Gaillard', 'Barbier', 'Arnaud', 'Le Goff', 'Le Gall', 'Kerbrat', 'Quéméner', 'Etcheverry', 'Nguyen', 'Benali', 'Da Silva', 'Fernandes', 'Lebreton']
const STREET_KINDS = ['rue', 'avenue', 'boulevard', 'impasse', 'chemin', 'place', 'allée', 'route']
const STREET_NAMES = ['de la République', 'Victor Hugo', 'Jean Jaurès', 'Pasteur', 'du Général de Gaulle', 'des Lilas', 'de la Gare', 'Gambetta', 'Jules Ferry', 'des Écoles', 'du Moulin', 'de l’Église', 'Émile Zola', 'des Tilleuls', 'Saint-Martin', 'du Stade', 'des Acacias', 'de Verdun', 'Carnot', 'de la Liberté']
const CITIES: Array<readonly [string, string]> = [
  ['Lyon', '69003'], ['Lyon', '69007'], ['Villeurbanne', '69100'], ['Caluire-et-Cuire', '69300'], ['Vénissieux', '69200'],
  ['Bron', '69500'], ['Écully', '69130'], ['Oullins', '69600'], ['Tassin-la-Demi-Lune', '69160'], ['Saint-Priest', '69800'],
]
const ACCESS_NOTES = ['Code 4821B, 3e étage gauche', 'Interphone au nom de la fille', 'Clé chez la voisine du 2e', 'Portail vert, sonner deux fois', 'Chien dans le jardin']
const CANCEL_REASONS = ['Patient malade', 'Empêchement professionnel', 'Oubli signalé la veille', 'Hospitalisation', 'Grève des transports']
const PRACTITIONER_NAMES = ['Inès Quenouillère', 'Mathieu Delorme', 'Claire Vasseur', 'Romain Lacombe', 'Agathe Perrault', 'Damien Roche', 'Lucie Marchal', 'Olivier Besson', 'Sarah Benhamou', 'Yann Le Bihan']
const NOTE_SENTENCES = [
  'Douleur lombaire basse irradiant dans la fesse droite, EVA 6/10 au réveil, 3/10 en fin de séance.',
  'Mobilisations passives de l’épaule gauche, gain de 15° en abduction depuis la dernière séance.',
  'Renforcement du quadriceps en chaîne fermée, bonne tolérance, pas d’épanchement.',
  'Travail de l’équilibre unipodal yeux fermés, 12 secondes à droite, 8 à gauche.',
  'Patient observant pour les exercices à domicile, reprise progressive de la marche rapide.',
  'Drainage lymphatique manuel du membre inférieur droit, œdème en diminution (périmètre -2 cm).',
  'Rééducation périnéale : contraction tenue 5 secondes, 8 répétitions, fatigue en fin de série.',
  'Cervicalgie chronique, posture au travail à revoir, conseils ergonomiques donnés.',
  'Entorse de cheville en voie de consolidation, proprioception sur plateau instable.',
  'Suite de prothèse totale de genou : flexion 95°, extension complète, marche sans canne.',
  'Kinésithérapie respiratoire, encombrement bronchique modéré, désencombrement efficace.',
  'Bilan à refaire dans trois semaines, courrier au médecin traitant envoyé.',
  'Tendinopathie d’Achille, protocole excentrique poursuivi, douleur matinale en baisse.',
  'Patiente anxieuse avant la reprise du travail, objectifs reformulés ensemble.',
]

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

function isoDate(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
}

/** Weekdays of the months of the spec, minus the fixed-date French public holidays. */
function weekdays(spec: PracticeSpec): string[] {
  const [y, m] = spec.firstMonth.split('-').map(Number) as [number, number]
  const start = new Date(Date.UTC(y, m - 1, 1))
  const end = new Date(Date.UTC(y, m - 1 + spec.months, 1))
  const holidays = new Set(['01-01', '05-01', '05-08', '07-14', '08-15', '11-01', '11-11', '12-25'])
  const days: string[] = []
  for (const d = start; d < end; d.setUTCDate(d.getUTCDate() + 1)) {
    const weekday = d.getUTCDay()
    const iso = isoDate(d)
    if (weekday !== 0 && weekday !== 6 && !holidays.has(iso.slice(5))) days.push(iso)
  }
  return days
}

/**
 * One practitioner's working days: weekdays minus leave, taken from a Monday (a week, or the
 * start of one for the last few days), so a week either is worked whole or is a holiday.
 */
function workingDays(gen: prng.PRNG, all: readonly string[], target: number): string[] {
  const kept = [...all]
  while (kept.length > target) {
    const mondays = kept.flatMap((day, i) => (new Date(`${day}T12:00:00Z`).getUTCDay() === 1 ? [i] : []))
    // No Monday left (a spec of a few days): the leave starts on any day.
    const at = mondays.length > 0 ? prng.oneOf(gen, mondays) : prng.int32(gen, 0, kept.length - 1)
    let length = 0
    while (length < Math.min(5, kept.length - target) && at + length < kept.length && (length === 0 || isNextWeekday(kept[at + length - 1]!, kept[at + length]!))) length++
    kept.splice(at, length)
  }
  return kept
}

function isNextWeekday(day: string, next: string): boolean {
  return addDays(day, 1) === next
}

/** The spec asks for more appointments a day than its slots fit in the working hours. */
export class WorkingHoursOverflowError extends Error {
  override name = 'WorkingHoursOverflowError'
}

function minutesOf(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5))
}

/**
 * The slots of a working day: from the start of each period of DEFAULT_WORKING_HOURS (Monday's:
 * every weekday has the same), as many as fit, until `count`. Throws rather than spill past them.
 */
export function slots(count: number, slotMinutes: number): string[] {
  const out: string[] = []
  for (const { start, end } of DEFAULT_WORKING_HOURS['1']) {
    for (let minutes = minutesOf(start); minutes + slotMinutes <= minutesOf(end) && out.length < count; minutes += slotMinutes) {
      out.push(`${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`)
    }
  }
  if (out.length < count) {
    throw new WorkingHoursOverflowError(`${count} appointments of ${slotMinutes} min do not fit the working day: ${out.length} do; shorten the slots or lower appointmentsPerDay`)
  }
  return out
}

function phone(gen: prng.PRNG): string {
  const prefix = prng.bool(gen) ? prng.oneOf(gen, ['06', '07']) : prng.oneOf(gen, ['04', '04', '09'])
  const rest = Array.from({ length: 4 }, () => pad(prng.int32(gen, 0, 99))).join(' ')
  return `${prefix} ${rest}`
}

function plainAscii(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-zA-Z-]/g, '').toLowerCase()
}

const DEPARTMENTS = ['69', '69', '69', '69', '01', '38', '42', '75', '13', '2A']

/**
 * A NIR with a valid key for this sex and birth date (format and key per ./nir.ts): born in the
 * Rhône mostly, a random commune and birth certificate number.
 */
export function plannedNir(gen: prng.PRNG, sex: Sex, birthDate: string): string {
  const first13 =
    (sex === 'F' ? '2' : '1') +
    birthDate.slice(2, 4) +
    birthDate.slice(5, 7) +
    prng.oneOf(gen, DEPARTMENTS) +
    pad(prng.int32(gen, 1, 999), 3) +
    pad(prng.int32(gen, 1, 999), 3)
  return first13 + pad(nirKey(first13))
}

/**
 * The identities already planned, as the duplicate rule compares them (patient-duplicates.ts):
 * birth date, folded first names, and each folded name (birth and usual) of a patient.
 */
type Identities = Set<string>

function identityKeys(birthDate: string, firstNames: string, names: readonly string[]): string[] {
  return names.map((name) => `${birthDate}|${foldText(firstNames)}|${foldText(name)}`)
}

/** The youngest patients' birth year: 2020, or the year before the agenda starts when it starts earlier. */
function latestBirthYear(spec: PracticeSpec): number {
  // Patients are written at the agenda's first month (fixture.ts): a birth date after it is refused
  // as « in the future » (shared/src/model/birth-date.ts). A cap that holds for 1-year practices
  // keeps their draws, hence their figures, as they were.
  return Math.min(2020, Number(spec.firstMonth.slice(0, 4)) - 1)
}

function planPatient(gen: prng.PRNG, nirShare: number, planned: Identities, latestYear: number): PatientInput {
  const sex: Sex = prng.bool(gen) ? 'F' : 'M'
  const firstNames = prng.oneOf(gen, sex === 'F' ? FIRST_F : FIRST_M)
  const birthName = prng.oneOf(gen, LAST)
  const year = prng.int32(gen, 1932, latestYear)
  let birthDate = `${year}-${pad(prng.int32(gen, 1, 12))}-${pad(prng.int32(gen, 1, 28))}`
  const usualName = sex === 'F' && year < 1995 && prng.real53(gen) < 0.35 ? prng.oneOf(gen, LAST) : undefined
  const names = usualName ? [birthName, usualName] : [birthName]
  // The same names and birth date as a patient planned before would make a pair the app offers to
  // merge: born a day later instead (no draw from the generator, so the rest of the plan is kept).
  while (identityKeys(birthDate, firstNames, names).some((key) => planned.has(key))) birthDate = addDays(birthDate, 1)
  for (const key of identityKeys(birthDate, firstNames, names)) planned.add(key)
  const [city, postalCode] = prng.oneOf(gen, CITIES)
  const patient: PatientInput = {
    birthName,
    firstNames,
    sex,
    birthDate,
    phones: prng.real53(gen) < 0.3 ? [phone(gen), phone(gen)] : [phone(gen)],
  }
  if (prng.real53(gen) < nirShare) patient.nir = plannedNir(gen, sex, birthDate)
  if (usualName) patient.usualName = usualName
  if (prng.real53(gen) < 0.9) {
    patient.address = {
      line1: `${prng.int32(gen, 1, 180)} ${prng.oneOf(gen, STREET_KINDS)} ${prng.oneOf(gen, STREET_NAMES)}`,
      postalCode,
      city,
      ...(prng.real53(gen) < 0.15 ? { accessNotes: prng.oneOf(gen, ACCESS_NOTES) } : {}),
    }
  }
  if (prng.real53(gen) < 0.55) {
    patient.email = `${plainAscii(firstNames)}.${plainAscii(birthName)}${prng.int32(gen, 1, 99)}@example.fr`
  }
  return patient
}

function noteText(gen: prng.PRNG, [min, max]: readonly [number, number]): string {
  const target = prng.int32(gen, min, max)
  let text = ''
  while (text.length < target) text += (text ? ' ' : '') + prng.oneOf(gen, NOTE_SENTENCES)
  // Cut on a word boundary at or after `min`, so lengths stay in [min, max].
  if (text.length > max) text = text.slice(0, text.lastIndexOf(' ', max))
  return text
}

/** A series running for one practitioner, keyed by its slot time. */
interface RunningSeries {
  index: number
  patient: number
  weekdays: readonly number[]
  home: boolean
  done: number
}

/**
 * Where one practitioner's planning stands at the start of a month: enough to plan that month
 * alone, exactly as a plan of the whole practice would. The series running at that moment are
 * the carry-over of series that cross the month boundary.
 */
interface MonthCursor {
  prngState: Uint32Array
  prngFresh: boolean
  running: Map<string, RunningSeries>
  /** Index of the next series to start (series are numbered across the practice). */
  nextSeries: number
  /** This practitioner's working days in the month. */
  days: readonly string[]
}

/**
 * A practice planned without its agenda: practitioners, patients, notes, and for each month and
 * practitioner a cursor from which `planMonth` plans that month. Its size grows with the months
 * by a few hundred bytes per practitioner, not with the appointments, so ten years of ten
 * practitioners can be written one month at a time in bounded memory.
 */
export interface PracticeOutline {
  spec: PracticeSpec
  practitioners: PracticePlan['practitioners']
  patients: PatientInput[]
  notes: Map<number, PlannedNote[]>
  /** How many series the whole agenda holds (indices 0 … series − 1). */
  series: number
  /** The months that hold at least one working day, in order ('YYYY-MM'). */
  months: string[]
  /** month → one cursor per practitioner (undefined: that practitioner does not work that month). */
  cursors: Map<string, Array<MonthCursor | undefined>>
}

/**
 * Lib0's default PRNG (Xoroshiro128plus) keeps its whole state in `state` and `_fresh`: copying
 * them is how a cursor resumes the sequence exactly where the whole-practice plan had it.
 */
interface PrngInternals {
  state: Uint32Array
  _fresh: boolean
}

function prngAt(state: Uint32Array, fresh: boolean): prng.PRNG {
  const gen = prng.create(0)
  const internals = gen as unknown as PrngInternals
  internals.state.set(state)
  internals._fresh = fresh
  return gen
}

function prngSnapshot(gen: prng.PRNG): { prngState: Uint32Array; prngFresh: boolean } {
  const internals = gen as unknown as PrngInternals
  return { prngState: internals.state.slice(), prngFresh: internals._fresh }
}

function copyRunning(running: ReadonlyMap<string, RunningSeries>): Map<string, RunningSeries> {
  return new Map([...running].map(([time, series]) => [time, { ...series }]))
}

/** One practitioner-day of appointments; moves `gen`, `running` and `counter` on. */
function planDay(
  gen: prng.PRNG,
  spec: PracticeSpec,
  practitioner: number,
  day: string,
  daySlots: readonly string[],
  running: Map<string, RunningSeries>,
  counter: { nextSeries: number },
): PlannedAppointment[] {
  const past = day < spec.today
  const weekday = new Date(`${day}T12:00:00Z`).getUTCDay()
  return daySlots.map((time) => {
    let series = running.get(time)
    if (series && !series.weekdays.includes(weekday)) series = undefined
    if (!series && !running.has(time) && prng.real53(gen) < spec.seriesShare) {
      // Twice a week, three days apart: Monday–Thursday or Tuesday–Friday, starting today.
      const pair = weekday === 1 || weekday === 4 ? [1, 4] : weekday === 2 || weekday === 5 ? [2, 5] : [weekday]
      series = { index: counter.nextSeries++, patient: prng.int32(gen, 0, spec.patients - 1), weekdays: pair, home: prng.real53(gen) < spec.homeVisitShare, done: 0 }
      running.set(time, series)
    }
    const home = series ? series.home : prng.real53(gen) < spec.homeVisitShare
    const roll = prng.real53(gen)
    const status: AppointmentStatus =
      roll < spec.cancelledShare ? 'cancelled' : past ? (roll < spec.cancelledShare + spec.noShowShare ? 'noshow' : 'fulfilled') : 'booked'
    const planned: PlannedAppointment = {
      start: `${day}T${time}`,
      durationMin: spec.slotMinutes,
      practitioner,
      patient: series ? series.patient : prng.int32(gen, 0, spec.patients - 1),
      // Séance mostly; a few Bilans (never within a course of sessions); home visits their kind.
      kind: home ? 'home' : series || prng.real53(gen) >= ASSESSMENT_SHARE ? 'session' : 'assessment',
      place: home ? 'home' : 'practice',
      status,
      ...(status === 'cancelled' ? { cancelReason: prng.oneOf(gen, CANCEL_REASONS) } : {}),
    }
    if (series) {
      planned.series = { index: series.index, occurrence: ++series.done }
      if (series.done >= spec.seriesSessions) running.delete(time)
    }
    return planned
  })
}

/**
 * Deterministic for a given spec (seed included). Plans every appointment once to move the
 * random sequence on (each is dropped at once), keeping only a cursor per practitioner-month.
 */
export function outlinePractice(spec: PracticeSpec): PracticeOutline {
  const gen = prng.create(spec.seed)
  const practitioners = Array.from({ length: spec.practitioners }, (_, i) => ({
    displayName: PRACTITIONER_NAMES[i % PRACTITIONER_NAMES.length]! + (i >= PRACTITIONER_NAMES.length ? ` ${i}` : ''),
    profession: 'kine' as Profession,
  }))
  const identities: Identities = new Set()
  const patients = Array.from({ length: spec.patients }, () => planPatient(gen, spec.nirShare, identities, latestBirthYear(spec)))
  const allDays = weekdays(spec)
  const perYear = Math.round((spec.workingDaysPerYear * spec.months) / 12)
  const daySlots = slots(spec.appointmentsPerDay, spec.slotMinutes)
  const cursors = new Map<string, Array<MonthCursor | undefined>>()
  const counter = { nextSeries: 0 }
  for (let p = 0; p < spec.practitioners; p++) {
    const running = new Map<string, RunningSeries>()
    let cursor: MonthCursor | undefined
    for (const day of workingDays(gen, allDays, Math.min(perYear, allDays.length))) {
      const month = day.slice(0, 7)
      if (cursor?.days[0]?.slice(0, 7) !== month) {
        cursor = { ...prngSnapshot(gen), running: copyRunning(running), nextSeries: counter.nextSeries, days: [] }
        const perPractitioner = cursors.get(month) ?? Array.from({ length: spec.practitioners }, () => undefined)
        perPractitioner[p] = cursor
        cursors.set(month, perPractitioner)
      }
      ;(cursor.days as string[]).push(day)
      planDay(gen, spec, p, day, daySlots, running, counter)
    }
  }
  const notes = new Map<number, PlannedNote[]>()
  for (let i = 0; i < spec.patients; i++) {
    if (prng.real53(gen) >= spec.notesShare) continue
    const count = prng.int32(gen, spec.notesPerFile[0], spec.notesPerFile[1])
    notes.set(
      i,
      Array.from({ length: count }, (_, n) => ({
        date: allDays[Math.min(allDays.length - 1, prng.int32(gen, 0, allDays.length - 1))]!,
        kind: n === 0 ? 'assessment' : 'session',
        text: noteText(gen, spec.noteChars),
      })),
    )
  }
  const months = [...cursors.keys()].sort()
  return { spec, practitioners, patients, notes, series: counter.nextSeries, months, cursors }
}

export class PlanMonthError extends Error {
  override name = 'PlanMonthError'
}

/**
 * The practitioner-days of one month, each a list of appointments: the same as the whole
 * practice's plan holds for that month, in any order of calls (the outline is not changed).
 */
export function planMonth(outline: PracticeOutline, month: string): PlannedAppointment[][] {
  const perPractitioner = outline.cursors.get(month)
  if (!perPractitioner) throw new PlanMonthError(`The outline has no working day in ${month} (months ${outline.months[0]} … ${outline.months.at(-1)})`)
  const daySlots = slots(outline.spec.appointmentsPerDay, outline.spec.slotMinutes)
  const days: PlannedAppointment[][] = []
  perPractitioner.forEach((cursor, p) => {
    if (!cursor) return
    const gen = prngAt(cursor.prngState, cursor.prngFresh)
    const running = copyRunning(cursor.running)
    const counter = { nextSeries: cursor.nextSeries }
    for (const day of cursor.days) days.push(planDay(gen, outline.spec, p, day, daySlots, running, counter))
  })
  return days
}

/** The whole plan in memory: for a practice small enough to hold (a few years of a few practitioners). */
export function planPractice(spec: PracticeSpec): PracticePlan {
  const outline = outlinePractice(spec)
  const agenda = new Map(outline.months.map((month) => [month, planMonth(outline, month)]))
  const { practitioners, patients, notes, series } = outline
  return { spec, practitioners, patients, agenda, notes, series }
}

/** Where the generator writes: a device's space, or plain Y.Docs. */
export interface DocSink {
  openDoc(docId: string): Promise<Y.Doc>
  /** Called after each batch of writes to one doc (a device flushes its envelope here). */
  afterBatch?(docId: string): Promise<void>
}

export interface WrittenPractice {
  practitionerIds: string[]
  patientIds: string[]
  /** Every doc written: directory, agenda months, patient files. */
  docIds: string[]
  agendaDocIds: string[]
  patientDocIds: string[]
  appointments: number
  /** Appointments that belong to a series, and how many series. */
  seriesAppointments: number
  series: number
  notes: number
}

const PATIENTS_PER_BATCH = 50

/** The record ids the model gave the directory's records, by the plan's indices. */
export interface PracticeIds {
  practitionerIds: string[]
  patientIds: string[]
  /** The practice's kind for each role (KIND_LABELS), or its first kind in use; absent with none. */
  kindIds: { readonly [R in KindRole]: string | undefined }
  /** One per planned series, shared by its occurrences (whichever month they fall in). */
  seriesIds: string[]
}

/**
 * Writes practitioners and patients into the directory. Practitioners already in it (the
 * practice's first one) are reused, so a practice of N practitioners has N, not N + 1.
 */
export async function writeDirectory(
  sink: DocSink,
  plan: Pick<PracticePlan, 'practitioners' | 'patients' | 'series'>,
  actor: Actor,
  clock: Clock,
): Promise<PracticeIds> {
  const after = sink.afterBatch ?? (async () => undefined)
  const directory = await sink.openDoc(DIRECTORY_DOC_ID)
  const practitionerIds = listPractitioners(directory).items.map((p) => p.id).slice(0, plan.practitioners.length)
  directory.transact(() => {
    for (const p of plan.practitioners.slice(practitionerIds.length)) practitionerIds.push(addPractitioner(directory, p, actor, clock))
  })
  const kinds = listAppointmentKinds(directory).items
  const kindOf = (role: KindRole) => (kinds.find((k) => foldText(k.label) === foldText(KIND_LABELS[role])) ?? kinds[0])?.id
  const kindIds = { session: kindOf('session'), assessment: kindOf('assessment'), home: kindOf('home') }
  const patientIds: string[] = []
  for (let i = 0; i < plan.patients.length; i += PATIENTS_PER_BATCH) {
    directory.transact(() => {
      for (const p of plan.patients.slice(i, i + PATIENTS_PER_BATCH)) patientIds.push(addPatient(directory, p, actor, clock))
    })
    await after(DIRECTORY_DOC_ID)
  }
  return { practitionerIds, patientIds, kindIds, seriesIds: Array.from({ length: plan.series }, () => newRecordId()) }
}

export interface WrittenMonth {
  docId: string
  appointments: number
  seriesAppointments: number
}

/**
 * Writes one month's practitioner-days into its agenda doc, one batch per practitioner-day. With
 * `directory`, each patient's index of agenda months (patient-months.ts) then lists this month,
 * as the app's own writes keep it; without, the patients' pages will not find these appointments.
 */
export async function writeMonth(
  sink: DocSink,
  month: string,
  days: readonly PlannedAppointment[][],
  patients: readonly PatientInput[],
  ids: PracticeIds,
  actor: Actor,
  clock: Clock,
  directory?: Y.Doc,
): Promise<WrittenMonth> {
  const after = sink.afterBatch ?? (async () => undefined)
  const docId = agendaDocId(month)
  const doc = await sink.openDoc(docId)
  let appointments = 0
  let seriesAppointments = 0
  for (const day of days) {
    doc.transact(() => {
      for (const a of day) {
        const address = a.place === 'home' ? patients[a.patient]!.address : undefined
        addAppointment(
          doc,
          {
            start: a.start,
            durationMin: a.durationMin,
            practitionerId: ids.practitionerIds[a.practitioner]!,
            patientId: ids.patientIds[a.patient]!,
            kindId: ids.kindIds[a.kind],
            place: a.place,
            status: a.status,
            ...(address ? { address } : {}),
            ...(a.cancelReason ? { cancelReason: a.cancelReason } : {}),
            ...(a.series ? { seriesId: ids.seriesIds[a.series.index]!, occurrence: a.series.occurrence } : {}),
          },
          actor,
          clock,
        )
        appointments++
        if (a.series) seriesAppointments++
      }
    })
    await after(docId)
  }
  if (directory) {
    indexAgendaMonth(directory, doc)
    await after(DIRECTORY_DOC_ID)
  }
  return { docId, appointments, seriesAppointments }
}

/** Writes the clinical files, one batch per file; returns their doc ids and the notes written. */
export async function writeFiles(
  sink: DocSink,
  notes: ReadonlyMap<number, readonly PlannedNote[]>,
  ids: Pick<PracticeIds, 'patientIds'>,
  actor: Actor,
  clock: Clock,
): Promise<{ patientDocIds: string[]; notes: number }> {
  const after = sink.afterBatch ?? (async () => undefined)
  let written = 0
  const patientDocIds: string[] = []
  for (const [index, list] of notes) {
    const docId = patientDocId(ids.patientIds[index]!)
    patientDocIds.push(docId)
    const doc = await sink.openDoc(docId)
    doc.transact(() => {
      for (const n of list) {
        addNote(doc, n, actor, clock)
        written++
      }
    })
    await after(docId)
  }
  return { patientDocIds, notes: written }
}

export interface WritePracticeOptions {
  /**
   * Note each month in its patients' index of agenda months, as the app does (seed-demo does, so
   * that patients' pages list their appointments). Off by default, for the benchmarks: their
   * patients are drawn at random for each appointment, so each is seen in nearly every month,
   * an index no practice has, which would weigh on the directory they measure.
   */
  readonly indexPatientMonths?: boolean
  /**
   * Writes the clinical files grouped by this key (a file's room, for a sink that holds one room
   * at a time), in the plan's order within a group; the plan's order when absent.
   */
  readonly groupFilesBy?: (docId: string) => Promise<string>
}

/** Writes the whole plan into one sink: directory, every month in order, then the files. */
export async function writePractice(
  sink: DocSink,
  plan: PracticePlan,
  actor: Actor,
  clock: Clock,
  options: WritePracticeOptions = {},
): Promise<WrittenPractice> {
  const ids = await writeDirectory(sink, plan, actor, clock)
  const directory = options.indexPatientMonths ? await sink.openDoc(DIRECTORY_DOC_ID) : undefined
  let appointments = 0
  let seriesAppointments = 0
  const agendaDocIds: string[] = []
  for (const [month, days] of plan.agenda) {
    const written = await writeMonth(sink, month, days, plan.patients, ids, actor, clock, directory)
    agendaDocIds.push(written.docId)
    appointments += written.appointments
    seriesAppointments += written.seriesAppointments
  }
  const files = await writeFiles(sink, options.groupFilesBy ? await groupNotes(plan.notes, ids, options.groupFilesBy) : plan.notes, ids, actor, clock)
  return {
    practitionerIds: ids.practitionerIds,
    patientIds: ids.patientIds,
    docIds: [DIRECTORY_DOC_ID, ...agendaDocIds, ...files.patientDocIds],
    agendaDocIds,
    patientDocIds: files.patientDocIds,
    appointments,
    seriesAppointments,
    series: plan.series,
    notes: files.notes,
  }
}

/** The plan's notes, grouped by their file's key (stable within a group). */
async function groupNotes(
  notes: ReadonlyMap<number, readonly PlannedNote[]>,
  ids: Pick<PracticeIds, 'patientIds'>,
  keyOf: (docId: string) => Promise<string>,
): Promise<Map<number, readonly PlannedNote[]>> {
  const keyed = await Promise.all([...notes].map(async ([index, list]) => ({ index, list, key: await keyOf(patientDocId(ids.patientIds[index]!)) })))
  const keys = [...new Set(keyed.map((k) => k.key))]
  return new Map(keys.flatMap((key) => keyed.filter((k) => k.key === key).map((k) => [k.index, k.list] as const)))
}

/** A clock that starts at `startMs` and moves `stepMs` per call: deterministic stamps. */
export function steppingClock(startMs: number, stepMs = 1000): Clock {
  let now = startMs - stepMs
  return () => (now += stepMs)
}
