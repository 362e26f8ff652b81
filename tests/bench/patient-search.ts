/**
 * `npx tsx tests/bench/patient-search.ts [--patients=20000] [--names=60] [--seed=N]`: the patient
 * search and the identity page's reads over a large directory, in one process, no relay (search
 * is local). Prints a Markdown table; figures are never asserted.
 *
 * The directory: `--patients` patients from the bench generator's plan (French names, birth dates,
 * phones, NIRs, addresses), written through `addPatient`, then every tenth patient edited twice
 * (phone, address) so the change log holds what a year of use leaves: one create entry per
 * patient and a few thousand field changes.
 *
 * Measured, each against a floor in the same run:
 * - index build (`new PatientSearchIndex(directory)`, what the list does when it opens);
 *   floor: reading every record with `listPatients` (the validation the index also does).
 * - one keystroke: `index.search(prefix)` while typing `--names` real family names letter by
 *   letter, then a space and the first name's first letters. Floor: `Array.prototype.filter` with
 *   `String.includes` over precomputed folded strings (one per patient: names, date, phones, NIR) —
 *   no ranking, no sorting, no date or phone parsing: the least any search could do. Also the
 *   search as it was before the index (`listPatients` + filter on every keystroke), for the record.
 * - opening a patient's identity page: `getPatient` + `patientHistory` (the history scan of the
 *   whole directory log). Floor: `getPatient` alone.
 */
import * as Y from 'yjs'
import { fixedClock } from '../../shared/src/model/actor'
import { recordHistory } from '../../shared/src/model/change-log'
import { DIRECTORY_DOC_ID } from '../../shared/src/model/doc-ids'
import { foldText, PatientSearchIndex } from '../../shared/src/model/patient-search'
import { addPatient, getPatient, listPatients, patientHistory, updatePatient } from '../../shared/src/model/patients'
import { defaultSpec, planPractice, steppingClock } from './generate'
import { localToday } from './fixture'
import { describeMachine, machineLine, markdownTable, round, type Row } from './report'
import { median, percentile } from './stats'

function option(name: string, fallback: number): number {
  const arg = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`))
  const raw = arg?.split('=')[1] ?? process.env[`BENCH_${name.toUpperCase()}`]
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${raw}`)
  return n
}

const log = (line: string) => console.error(line)

function time<T>(run: () => T): { ms: number; value: T } {
  const started = performance.now()
  const value = run()
  return { ms: performance.now() - started, value }
}

/** The search before this index: read and validate every record, then filter, on each keystroke. */
function previousSearch(doc: Y.Doc, query: string): number {
  const words = foldText(query).split(' ').filter(Boolean)
  return listPatients(doc).items.filter((p) => {
    const hay = foldText([p.birthName, p.usualName ?? '', p.firstNames, p.birthDate ?? '', p.nir ?? '', ...(p.phones ?? [])].join(' '))
    return words.every((w) => hay.includes(w))
  }).length
}

function row(scenario: string, metric: string, stat: string, ours: number, floor: number): Row {
  return { scenario, metric, unit: 'ms', ours: round(ours, 3), floor: round(floor, 3), stat }
}

function main(): void {
  const patients = option('patients', 20_000)
  const names = option('names', 60)
  const seed = option('seed', 20_261_123)
  const actor = { memberId: 'bench-member', deviceId: 'bench-device' }
  log(`Patient search bench — ${machineLine(describeMachine())}`)

  const plan = planPractice(defaultSpec(localToday(), { seed, patients, practitioners: 1, months: 1, notesShare: 0 }))
  const directory = new Y.Doc({ guid: DIRECTORY_DOC_ID })
  const clock = steppingClock(Date.UTC(2026, 0, 5, 8))
  const ids: string[] = []
  const setup = time(() => {
    for (let i = 0; i < plan.patients.length; i += 500) {
      directory.transact(() => {
        for (const p of plan.patients.slice(i, i + 500)) ids.push(addPatient(directory, p, actor, clock))
      })
    }
    directory.transact(() => {
      for (let i = 0; i < ids.length; i += 10) {
        updatePatient(directory, ids[i]!, { phones: [`06${String(10_000_000 + i).slice(-8)}`] }, actor, clock)
        updatePatient(directory, ids[i]!, { address: { line1: `${i} rue du Banc`, postalCode: '69003', city: 'Lyon' } }, actor, clock)
      }
    })
  })
  const historyEntries = directory.getArray('history').length
  const bytes = Y.encodeStateAsUpdate(directory).byteLength
  log(`Directory: ${ids.length} patients, ${historyEntries} change-log entries, ${round(bytes / 2 ** 20, 2)} MiB, written in ${Math.round(setup.ms)} ms`)

  // A cold doc, as a device that just opened the directory holds it.
  const cold = () => {
    const doc = new Y.Doc({ guid: DIRECTORY_DOC_ID })
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(directory))
    return doc
  }

  const rows: Row[] = []
  const builds: number[] = []
  const reads: number[] = []
  let index: PatientSearchIndex | null = null
  for (let run = 0; run < 5; run++) {
    const doc = cold()
    reads.push(time(() => listPatients(doc)).ms)
    const built = time(() => new PatientSearchIndex(doc))
    builds.push(built.ms)
    index = built.value
  }
  if (!index) throw new Error('no index built')
  rows.push(row('index build', `${ids.length} patients (floor: listPatients)`, 'median of 5', median(builds), median(reads)))

  // What the user types: real family names of the directory, letter by letter, then a first name.
  const typed: string[] = []
  for (let i = 0; i < names; i++) {
    const p = plan.patients[Math.floor((i * plan.patients.length) / names)]!
    const family = (p.usualName ?? p.birthName).toLowerCase()
    for (let k = 1; k <= family.length; k++) typed.push(family.slice(0, k))
    const first = p.firstNames.toLowerCase()
    for (let k = 1; k <= Math.min(3, first.length); k++) typed.push(`${family} ${first.slice(0, k)}`)
  }
  const haystacks = listPatients(directory).items.map((p) =>
    foldText([p.birthName, p.usualName ?? '', p.firstNames, p.birthDate ?? '', p.nir ?? '', ...(p.phones ?? [])].join(' ')),
  )
  const ours: number[] = []
  const floor: number[] = []
  let found = 0
  for (const query of typed) {
    const folded = foldText(query)
    floor.push(time(() => haystacks.filter((h) => h.includes(folded)).length).ms)
    const r = time(() => index.search(query).items.length)
    ours.push(r.ms)
    found += r.value
  }
  if (found === 0) throw new Error('The typed names found nobody: the bench measured nothing')
  const what = 'index.search (floor: filter over precomputed strings)'
  rows.push(row('keystroke', what, `median of ${typed.length}`, median(ours), median(floor)))
  rows.push(row('keystroke', what, `p95 of ${typed.length}`, percentile(ours, 95), percentile(floor, 95)))
  rows.push(row('keystroke', what, `max of ${typed.length}`, Math.max(...ours), Math.max(...floor)))
  const before: number[] = []
  for (const query of typed.slice(0, 20)) before.push(time(() => previousSearch(directory, query)).ms)
  rows.push(row('keystroke', 'search before the index: listPatients + filter (same floor)', 'median of 20', median(before), median(floor)))

  // The search after a remote change: one patient re-read, the order rebuilt once.
  const afterChange: number[] = []
  const attached = new PatientSearchIndex(directory).attach()
  for (let i = 0; i < 10; i++) {
    updatePatient(directory, ids[i * 7]!, { usualName: `Nouveau${i}` }, actor, fixedClock(Date.UTC(2026, 5, 1)))
    afterChange.push(time(() => attached.search('mar').items.length).ms)
  }
  attached.detach()
  rows.push(row('keystroke', 'first one after a patient changed (re-read + re-sort)', 'median of 10', median(afterChange), median(floor)))

  const opens: number[] = []
  const gets: number[] = []
  for (let i = 0; i < 20; i++) {
    const id = ids[(i * 997) % ids.length]!
    gets.push(time(() => getPatient(directory, id)).ms)
    opens.push(time(() => [getPatient(directory, id), patientHistory(directory, id)]).ms)
  }
  rows.push(row('open identity page', `getPatient + patientHistory, ${historyEntries} log entries (floor: getPatient)`, 'median of 20', median(opens), median(gets)))
  const scan = time(() => recordHistory(directory, 'patients', ids[0]!)).ms
  log(`One recordHistory scan: ${round(scan, 2)} ms`)

  console.log(
    `Patient search bench, ${new Date().toISOString()}  \nMachine: ${machineLine(describeMachine())}  \n` +
      `Directory: ${ids.length} patients, ${historyEntries} change-log entries, ${round(bytes / 2 ** 20, 2)} MiB of Yjs state.  \n` +
      `Ratio = Tournée / floor (same run).\n\n${markdownTable(rows)}\n`,
  )
}

main()
