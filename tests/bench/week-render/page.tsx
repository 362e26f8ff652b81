/**
 * The week-render bench page, run in real Chromium by scenarios/week-render.ts. It holds a practice
 * of `practitioners` practitioners with `years` years of agenda history as encoded month docs (what
 * IndexedDB holds), the measured weeks being busy (`perDay` appointments per practitioner per
 * weekday). A render opens only the month docs the week touches (Y.applyUpdate of their bytes),
 * lists and checks overlaps as the AgendaScreen does, and commits the app's real TimeGrid with
 * React (flushSync) followed by a forced layout. The baseline renders the same grid, empty.
 */
import { flushSync } from 'react-dom'
import { createRoot } from 'react-dom/client'
import * as Y from 'yjs'
import '../../../client/src/styles/app.css'
import { I18nProvider } from '../../../client/src/i18n'
import { daysShown, monthsOf } from '../../../client/src/views/agenda/agenda-range'
import { DEFAULT_FRAME } from '../../../client/src/views/agenda/grid-layout'
import { TimeGrid } from '../../../client/src/views/agenda/TimeGrid'
import {
  addAppointment,
  addDays,
  addPractitioner,
  agendaDocId,
  findOverlaps,
  initAgendaDoc,
  isoWeekday,
  listAppointments,
  listPractitioners,
  overlappingIds,
} from '../../../shared/src/model'
import type { Appointment, Practitioner } from '../../../shared/src/model'

type Setup = { practitioners: number; perDay: number; years: number; historyPerDay: number; firstBusyWeek: string; busyWeeks: number }
export type Timings = { empty: number[]; busy: number[]; switching: number[]; opened: number[]; shown: number[]; setupMs: number; monthDocs: number; historyAppointments: number; storedBytes: number }

const actor = { memberId: 'bench-member', deviceId: 'bench-device' }
const clock = () => Date.UTC(2026, 10, 20, 9)
const noop = () => {}

function monthShift(month: string, delta: number): string {
  const index = Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1 + delta
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`
}

function fillMonth(doc: Y.Doc, month: string, practitioners: readonly Practitioner[], perDay: number, onlyDays?: ReadonlySet<string>): number {
  let count = 0
  for (let day = `${month}-01`; day.startsWith(month); day = addDays(day, 1)) {
    if (isoWeekday(day) > 5 || (onlyDays && !onlyDays.has(day))) continue
    for (const p of practitioners) {
      for (let i = 0; i < perDay; i++) {
        // 25 a day: 20-minute slots from 8:00, with every 12th one double-booked (an overlap).
        const minute = 8 * 60 + Math.floor((i * 11 * 60) / perDay) - (i % 12 === 11 ? 10 : 0)
        const start = `${day}T${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`
        addAppointment(doc, { start, timeZone: 'Europe/Paris', durationMin: 20, practitionerId: p.id, title: `Séance ${i + 1}` }, actor, clock)
        count += 1
      }
    }
  }
  return count
}

function setUp(setup: Setup) {
  const started = performance.now()
  const directory = new Y.Doc()
  for (let i = 0; i < setup.practitioners; i++) addPractitioner(directory, { displayName: `Praticien ${String(i + 1).padStart(2, '0')}`, profession: 'kine' }, actor, clock)
  const practitioners = listPractitioners(directory).items
  const busyDays = new Set<string>()
  for (let w = 0; w < setup.busyWeeks; w++) for (const day of daysShown('semaine', addDays(setup.firstBusyWeek, 7 * w))) busyDays.add(day)
  const busyMonths = new Set([...busyDays].map((d) => d.slice(0, 7)))
  const lastMonth = [...busyMonths].sort().at(-1)!
  const stored = new Map<string, Uint8Array>()
  let historyAppointments = 0
  for (let m = 0; m < setup.years * 12; m++) {
    const month = monthShift(lastMonth, -m)
    const doc = new Y.Doc({ guid: agendaDocId(month) })
    initAgendaDoc(doc, month)
    historyAppointments += fillMonth(doc, month, practitioners, setup.historyPerDay)
    if (busyMonths.has(month)) fillMonth(doc, month, practitioners, setup.perDay, busyDays)
    stored.set(month, Y.encodeStateAsUpdate(doc))
    doc.destroy()
  }
  let storedBytes = 0
  for (const bytes of stored.values()) storedBytes += bytes.byteLength
  return { practitioners, stored, setupMs: performance.now() - started, historyAppointments, storedBytes }
}

async function run(setup: Setup, runs: number): Promise<Timings> {
  const { practitioners, stored, setupMs, historyAppointments, storedBytes } = setUp(setup)
  const container = document.getElementById('root')!
  const root = createRoot(container)
  const overlapping = new Set<string>()
  const render = (days: string[], appointments: Appointment[], overlaps: ReadonlySet<string>) => {
    flushSync(() =>
      root.render(
        <I18nProvider language="fr" timeZone="Europe/Paris">
          <TimeGrid
            days={days}
            practitioners={practitioners}
            appointments={appointments}
            overlapping={overlaps}
            now={`${days[0]}T10:00`}
            frame={DEFAULT_FRAME}
            patients={null}
            kinds={null}
            series={null}
            onCreate={noop}
            onOpen={noop}
            onDrop={noop}
          />
        </I18nProvider>,
      ),
    )
    // Layout is part of what a person waits for; reading a size forces it now.
    return container.getBoundingClientRect().height
  }
  /** Opens the week's month docs from their bytes, reads and checks them, renders. */
  const showWeek = (monday: string) => {
    const started = performance.now()
    const days = daysShown('semaine', monday)
    const appointments: Appointment[] = []
    for (const month of monthsOf(days)) {
      const doc = new Y.Doc({ guid: agendaDocId(month) })
      Y.applyUpdate(doc, stored.get(month)!)
      appointments.push(...listAppointments(doc, { from: days[0], to: days[6] }).items)
    }
    const opened = performance.now() - started
    render(days, appointments, overlappingIds(findOverlaps(appointments)))
    return { ms: performance.now() - started, opened, shown: appointments.length }
  }
  const t: Timings = { empty: [], busy: [], switching: [], opened: [], shown: [], setupMs, monthDocs: stored.size, historyAppointments, storedBytes }
  for (let r = 0; r < runs; r++) {
    // Each sample starts from an empty root, so every render builds the grid from nothing.
    flushSync(() => root.render(null))
    const emptyStart = performance.now()
    render(daysShown('semaine', setup.firstBusyWeek), [], overlapping)
    t.empty.push(performance.now() - emptyStart)
    flushSync(() => root.render(null))
    const busy = showWeek(setup.firstBusyWeek)
    t.busy.push(busy.ms)
    t.opened.push(busy.opened)
    t.shown.push(busy.shown)
    // Switching: the next busy week replaces the one on screen, as the "Semaine suivante" button does.
    const next = showWeek(addDays(setup.firstBusyWeek, 7 * (1 + (r % (setup.busyWeeks - 1)))))
    t.switching.push(next.ms)
    await new Promise((resolve) => setTimeout(resolve, 0))
  }
  root.unmount()
  return t
}

Object.assign(window, { weekBench: { run } })
document.title = 'ready'
