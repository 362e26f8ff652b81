/**
 * The practice the export scenario reads, kept as doc states on disk the way a device keeps its
 * docs in IndexedDB: one file per doc (`Y.encodeStateAsUpdate`), written once and reused by later
 * runs of the same size, seed and generator.
 *
 *   <dir>/fixture.json            what was written (counts, doc ids), and the key it was made for
 *   <dir>/docs/<hex of doc id>    one doc's plaintext state
 *
 * Written month by month from the generator's outline (generate.ts), each doc let go once saved,
 * so ten years of ten practitioners (550,000 appointments) are made in the memory of one month.
 * The key holds the generator's source hash: a changed generator makes a new fixture. A run given a
 * time budget stops between two months and the next run goes on (`progress.json` in the scratch
 * folder), so making ten years never holds the shared machine for long at once.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as Y from 'yjs'
import { DIRECTORY_DOC_ID } from '../../shared/src/model/doc-ids'
import { initPractice } from '../../shared/src/model/practice'
import { defaultSpec, outlinePractice, planMonth, steppingClock, writeDirectory, writeFiles, writeMonth, type DocSink, type PracticeIds } from './generate'

export interface ExportFixture {
  readonly dir: string
  readonly practitioners: number
  readonly years: number
  readonly patients: number
  readonly appointments: number
  readonly notes: number
  readonly agendaDocIds: readonly string[]
  readonly patientDocIds: readonly string[]
  /** Sum of the docs' plaintext states, bytes. */
  readonly plaintext: number
  /** Whether this run made it (false: read from an earlier run's). */
  readonly made: boolean
  readonly makeMs: number
}

export interface ExportFixtureSize {
  readonly seed: number
  readonly practitioners: number
  readonly years: number
  readonly patients: number
  readonly today: string
}

const GENERATOR = new URL('./generate.ts', import.meta.url)

function fixtureKey(size: ExportFixtureSize): string {
  const source = readFileSync(GENERATOR)
  return createHash('sha256').update(JSON.stringify(size)).update(source).digest('hex').slice(0, 16)
}

function docPath(dir: string, docId: string): string {
  return join(dir, 'docs', Buffer.from(docId, 'utf8').toString('hex'))
}

/**
 * One doc's state from the fixture, as a device would read it from IndexedDB; null for a doc the
 * practice never wrote (a patient without a clinical file), which a device opens empty.
 */
export function readFixtureDoc(fixture: ExportFixture, docId: string): Uint8Array | null {
  const path = docPath(fixture.dir, docId)
  return existsSync(path) ? readFileSync(path) : null
}

/** What a fixture being made has done so far (in its scratch folder), so a later run goes on from there. */
interface FixtureProgress {
  ids: PracticeIds
  monthsDone: number
  appointments: number
  plaintext: number
  agendaDocIds: string[]
  clockMs: number
  makeMs: number
}

export type ExportFixtureResult = { readonly complete: true; readonly fixture: ExportFixture } | { readonly complete: false; readonly monthsDone: number; readonly months: number; readonly dir: string }

/**
 * The fixture of this size, made now (in `root`, default the system's temp folder) unless an
 * earlier run made it. With `budgetMs`, making stops after the month that ends past the budget and
 * the next call goes on from there (ten years take longer than a bench should hold the machine).
 */
export async function exportFixture(
  size: ExportFixtureSize,
  log: (line: string) => void,
  options: { readonly budgetMs?: number; readonly root?: string } = {},
): Promise<ExportFixtureResult> {
  const key = fixtureKey(size)
  const dir = join(options.root ?? join(tmpdir(), 'tournee-bench-export'), `${size.practitioners}x${size.years}-${key}`)
  const meta = join(dir, 'fixture.json')
  if (existsSync(meta)) {
    const saved = JSON.parse(readFileSync(meta, 'utf8')) as Omit<ExportFixture, 'dir' | 'made'>
    return { complete: true, fixture: { ...saved, dir, made: false } }
  }
  const started = performance.now()
  // Made in a scratch folder and renamed once complete: an interrupted run leaves no fixture that looks whole.
  const scratch = `${dir}.partial`
  const progressPath = join(scratch, 'progress.json')
  const save = (docId: string, doc: Y.Doc) => {
    const state = Y.encodeStateAsUpdate(doc)
    writeFileSync(docPath(scratch, docId), state)
    return state.byteLength
  }

  const spec = defaultSpec(size.today, { seed: size.seed, practitioners: size.practitioners, patients: size.patients, years: size.years })
  const outline = outlinePractice(spec)
  const actor = { deviceId: 'bench-export', memberId: 'setup' }
  const directory = new Y.Doc({ guid: DIRECTORY_DOC_ID })
  let progress: FixtureProgress
  if (existsSync(progressPath)) {
    progress = JSON.parse(readFileSync(progressPath, 'utf8')) as FixtureProgress
    Y.applyUpdate(directory, readFileSync(docPath(scratch, DIRECTORY_DOC_ID)))
  } else {
    rmSync(scratch, { recursive: true, force: true })
    mkdirSync(join(scratch, 'docs'), { recursive: true })
    const [y, m] = spec.firstMonth.split('-').map(Number) as [number, number]
    const clock = steppingClock(Date.UTC(y, m - 1, 1), 1000)
    initPractice(directory, { name: 'Cabinet de la Croix-Rousse', firstPractitioner: { displayName: 'Olivier Besson', profession: 'kine' } }, actor, clock)
    const ids = await writeDirectory({ openDoc: async () => directory }, outline, actor, clock)
    // The months and files write nothing more to the directory: saved once, here.
    progress = { ids, monthsDone: 0, appointments: 0, plaintext: save(DIRECTORY_DOC_ID, directory), agendaDocIds: [], clockMs: clock(), makeMs: 0 }
  }
  const clock = steppingClock(progress.clockMs + 1000, 1000)
  const open = new Map<string, Y.Doc>([[DIRECTORY_DOC_ID, directory]])
  const sink: DocSink = {
    openDoc: async (id) => {
      if (!open.has(id)) open.set(id, new Y.Doc({ guid: id }))
      return open.get(id)!
    },
  }
  /** Saves and lets go of every doc but the directory. */
  const release = () => {
    let bytes = 0
    for (const [id, doc] of open) {
      if (id === DIRECTORY_DOC_ID) continue
      bytes += save(id, doc)
      doc.destroy()
      open.delete(id)
    }
    return bytes
  }
  const saveProgress = () => {
    progress.clockMs = clock()
    progress.makeMs += performance.now() - started
    writeFileSync(progressPath, JSON.stringify(progress))
  }
  while (progress.monthsDone < outline.months.length) {
    const month = outline.months[progress.monthsDone]!
    const written = await writeMonth(sink, month, planMonth(outline, month), outline.patients, progress.ids, actor, clock)
    progress.agendaDocIds.push(written.docId)
    progress.appointments += written.appointments
    progress.plaintext += release()
    progress.monthsDone++
    if (month.endsWith('-12')) log(`  (export) fixture ${size.practitioners} × ${size.years}: ${month} written, ${progress.appointments} appointments`)
    if (options.budgetMs !== undefined && performance.now() - started > options.budgetMs && progress.monthsDone < outline.months.length) {
      saveProgress()
      directory.destroy()
      return { complete: false, monthsDone: progress.monthsDone, months: outline.months.length, dir: scratch }
    }
  }
  const files = await writeFiles(sink, outline.notes, progress.ids, actor, clock)
  progress.plaintext += release()
  directory.destroy()
  const fixture = {
    practitioners: size.practitioners,
    years: size.years,
    patients: progress.ids.patientIds.length,
    appointments: progress.appointments,
    notes: files.notes,
    agendaDocIds: progress.agendaDocIds,
    patientDocIds: files.patientDocIds,
    plaintext: progress.plaintext,
    makeMs: progress.makeMs + performance.now() - started,
  }
  writeFileSync(join(scratch, 'fixture.json'), JSON.stringify(fixture))
  rmSync(progressPath, { force: true })
  rmSync(dir, { recursive: true, force: true })
  renameSync(scratch, dir)
  return { complete: true, fixture: { ...fixture, dir, made: true } }
}
