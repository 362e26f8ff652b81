import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react'
import type { MouseEvent, PointerEvent, RefObject } from 'react'
import { absenceOn, addMinutes, isoWeekday, offHours, workingIntervalsOn } from '../../../../shared/src/model'
import type { Absence, Appointment, AppointmentKind, HolidayName, Patient, Practitioner, Series } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { routeHref } from '../../app/route'
import { onDropPageCaches } from '../../state/page-caches'
import { AppointmentBlock } from './AppointmentBlock'
import type { Drop, DropKind } from './AppointmentBlock'
import { pickLabel, textVariants } from './block-label'
import { snapStep, timeAtOffset } from './drag-time'
import { firstFreeTime, frameHeight, initialScrollTime, layoutLanes, minuteOfDay, offsetOf, timeOfMinute } from './grid-layout'
import type { GridFrame } from './grid-layout'

const WEEKDAY_SHORT = [
  'agendaUi.weekday.mo',
  'agendaUi.weekday.tu',
  'agendaUi.weekday.we',
  'agendaUi.weekday.th',
  'agendaUi.weekday.fr',
  'agendaUi.weekday.sa',
  'agendaUi.weekday.su',
] as const

export type GridProps = {
  days: readonly string[]
  practitioners: readonly Practitioner[]
  appointments: readonly Appointment[]
  overlapping: ReadonlySet<string>
  /** The wall-clock time now in the practice's zone, for the current-time line. */
  now: string
  frame: GridFrame
  patients: ReadonlyMap<string, Patient> | null
  kinds: readonly AppointmentKind[] | null
  series: ReadonlyMap<string, Series> | null
  onCreate: (slot: { day: string; time: string; practitionerId: string }) => void
  onOpen: (appointment: Appointment) => void
  onDrop: (appointment: Appointment, drop: Drop, kind: DropKind) => void
  /** Public holidays of the days shown, by date (none when absent). */
  holidays?: ReadonlyMap<string, HolidayName>
  /** The practitioners' absences, all of them (each column finds its own); none when absent. */
  absences?: readonly Absence[]
}

/**
 * Text widths in the blocks' and heads' fonts: what fits a column. One canvas and one cache for
 * the page (the names of a week are measured once, not again by each grid that mounts: the week
 * after a join, the day at a cold start).
 */
let pageMeasure: ((text: string, compact: boolean) => number) | null = null
// It holds the names it measured: dropped when the app locks.
onDropPageCaches(() => {
  pageMeasure = null
})

function useTextMeasure(): (text: string, compact: boolean) => number {
  return (pageMeasure ??= createTextMeasure())
}

/**
 * The fonts of app.css (:root's 17 px and family; a block's name 0.85 rem bold, 0.75 rem in a
 * narrow week column), written here rather than read with getComputedStyle, which would make the
 * browser recompute the page's styles each time a grid mounts.
 */
const FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
const ROOT_PX = 17
const MEASURE_CACHE_SIZE = 20_000

function createTextMeasure(): (text: string, compact: boolean) => number {
  const context = document.createElement('canvas').getContext('2d')
  const fonts = { normal: `700 ${0.85 * ROOT_PX}px ${FONT_FAMILY}`, compact: `700 ${0.75 * ROOT_PX}px ${FONT_FAMILY}` }
  const cache = new Map<string, number>()
  let current = ''
  return (text: string, compact: boolean) => {
    const key = `${compact ? 'c' : 'n'}${text}`
    const known = cache.get(key)
    if (known !== undefined) return known
    if (!context) return text.length * 9
    // Setting a canvas's font parses it, even to the same value: about half of measuring a
    // week's names (≈ 20 ms in a profile of the week's first render). Set only when it changes.
    const font = compact ? fonts.compact : fonts.normal
    if (font !== current) context.font = current = font
    // Rounded up, with a pixel for the browser's own rounding of the laid-out text.
    const width = Math.ceil(context.measureText(text).width) + 1
    // Bounded: a day of browsing weeks measures a few thousand names; a reset costs a few measures.
    if (cache.size >= MEASURE_CACHE_SIZE) cache.clear()
    cache.set(key, width)
    return width
  }
}

/**
 * The grid's inner width, followed as the window turns or resizes; 0 until laid out. Read in a
 * layout effect, before the browser paints: the grid's first render is an empty frame, and the
 * columns render once, at their width, instead of once at none and again at the right one (which
 * doubled the week's render, tests/bench « (f) »).
 */
function useWidth(element: RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(0)
  useLayoutEffect(() => {
    const target = element.current
    if (!target) return
    // eslint-disable-next-line react-hooks/set-state-in-effect -- a layout measure, taken before paint (see above)
    setWidth(target.clientWidth)
    const observer = new ResizeObserver(() => setWidth(target.clientWidth))
    observer.observe(target)
    return () => observer.disconnect()
  }, [element])
  return width
}

/**
 * Columns a grid renders in one task when it first shows days: the rest follow a task later each
 * (whole days at a time, at least one). A week of 3 practitioners drawn at once was a task of
 * 130 ms of render and another of 110 ms of layout on this 2-core machine just after a join (cold
 * code, cold styles); two days at a time still made a first task of 149 ms (the screen's own
 * render with it); a day at a time, each task is a fraction of that, and the browser paints in
 * between. Days not drawn yet show as loading (`grid__day--pending`), never as free slots.
 */
const COLUMNS_PER_TASK = 4

/**
 * How many of `total` days are drawn: `step` at first, `step` more per task until all are. The
 * count is kept while the grid stays mounted: paging a week redraws its columns in place at once,
 * and a day (1 of `step`) then a week draws the week's other days in steps.
 */
function useDaysDrawn(total: number, step: number, ready: boolean): number {
  const [drawn, setDrawn] = useState(0)
  const shown = ready ? Math.min(total, Math.max(drawn, step)) : 0
  useEffect(() => {
    if (!ready || shown >= total) return
    return nextTask(() => setDrawn(Math.min(total, shown + step)))
  }, [ready, shown, total, step])
  return shown
}

interface PostTaskScheduler {
  postTask?: (task: () => void, options: { priority: 'user-blocking'; signal: AbortSignal }) => Promise<unknown>
}

/**
 * Runs `task` in a task of its own, ahead of background work where the browser can tell them
 * apart: just after a join the page is busy applying rooms in slices (scheduler.yield
 * continuations, client/src/sync/decode/main-thread.ts), and a zero timer waited behind them —
 * the week took 0.5 s longer to fill. Returns what cancels it.
 */
function nextTask(task: () => void): () => void {
  const scheduler = (globalThis as { scheduler?: PostTaskScheduler }).scheduler
  if (typeof scheduler?.postTask === 'function') {
    const controller = new AbortController()
    scheduler.postTask(task, { priority: 'user-blocking', signal: controller.signal }).catch(() => undefined)
    return () => controller.abort()
  }
  const timer = setTimeout(task, 0)
  return () => clearTimeout(timer)
}

/**
 * The day and week views: one column per shown day and practitioner, hours down the side, working
 * hours light and the rest shaded, the current time marked, blocks laid out in lanes when they
 * overlap. Everything it shows comes from props read through hooks, so a remote change re-renders it.
 */
export function TimeGrid(props: GridProps) {
  const { days, practitioners, frame } = props
  const { t, clock, dayHeading } = useT()
  const week = days.length > 1
  const height = frameHeight(frame)
  const scroller = useRef<HTMLDivElement>(null)
  const holding = useRef(false)
  const onHold = useMemo(() => (held: boolean) => void (holding.current = held), [])
  // While a block holds a finger's gesture (lifted by a long press), the finger's moves are the
  // drag's, not the grid's: cancel them before the browser scrolls. One listener for every block,
  // added by hand because React's touch listeners are passive.
  useEffect(() => {
    const element = scroller.current
    if (!element) return
    const hold = (event: TouchEvent) => {
      if (holding.current && event.cancelable) event.preventDefault()
    }
    element.addEventListener('touchmove', hold, { passive: false })
    return () => element.removeEventListener('touchmove', hold)
  }, [])
  const measure = useTextMeasure()
  const width = useWidth(scroller)
  // The gutter is 56 px (app.css, --gutter); every column of every day shares the rest.
  const columnWidth = width > 0 ? (width - 56) / (days.length * practitioners.length) : 0
  const drawn = useDaysDrawn(days.length, Math.max(1, Math.floor(COLUMNS_PER_TASK / Math.max(1, practitioners.length))), width > 0)
  // Once, when the grid opens on a range (and has its columns): later renders (a remote change)
  // must not move the view.
  const rangeKey = width > 0 ? `${days[0]}|${days.length}` : null
  useEffect(() => {
    const element = scroller.current
    if (!element || rangeKey === null) return
    const starts = practitioners.flatMap((p) => days.flatMap((d) => workingIntervalsOn(p.workingHours, d).slice(0, 1).map((i) => i.start)))
    // A few pixels above the hour, so that its label shows whole under the column heads.
    element.scrollTop = Math.max(0, offsetOf(initialScrollTime(frame, props.now, days, starts), frame) - 10)
    // eslint-disable-next-line react-hooks/exhaustive-deps -- on a new range only, see above
  }, [rangeKey])
  const hours = useMemo(() => {
    const list: string[] = []
    for (let m = minuteOfDay(frame.from); m < minuteOfDay(frame.to); m += 60) list.push(timeOfMinute(m))
    return list
  }, [frame])
  const byColumn = useMemo(() => {
    const map = new Map<string, Appointment[]>()
    for (const a of props.appointments) {
      const key = `${a.start.slice(0, 10)}|${a.practitionerId}`
      const list = map.get(key)
      if (list) list.push(a)
      else map.set(key, [a])
    }
    return map
  }, [props.appointments])

  // Not measured yet: the empty frame, for the layout effect above to read its width.
  if (width === 0) return <div ref={scroller} className={week ? 'grid grid--week' : 'grid'} />

  return (
    <div ref={scroller} className={week ? 'grid grid--week' : 'grid'}>
      <div className="grid__head">
        <div className="grid__gutter" />
        {days.map((day, index) => {
          const holiday = props.holidays?.get(day)
          return (
            <div key={index} className={holiday ? 'grid__day-head grid__day-head--holiday' : 'grid__day-head'} style={{ flexGrow: practitioners.length }}>
              {week ? (
                <a
                  className="grid__day-link"
                  href={routeHref({ view: 'agenda', mode: 'jour', date: day })}
                  aria-label={holiday ? `${dayHeading(day)}, ${t(`holiday.${holiday}`)}` : dayHeading(day)}
                  aria-current={day === props.now.slice(0, 10) ? 'date' : undefined}
                >
                  {t(WEEKDAY_SHORT[isoWeekday(day) - 1]!)} {Number(day.slice(8))}
                </a>
              ) : null}
              {holiday ? (
                <span className="grid__holiday" title={t(`holiday.${holiday}`)}>
                  {t(week ? 'agendaUi.holidayShort' : 'agendaUi.holiday', { name: t(`holiday.${holiday}`) })}
                </span>
              ) : null}
              {practitioners.length > 1 || !week ? (
                <div className="grid__practitioners">
                  {practitioners.map((p) => (
                    <span key={p.id} className="grid__practitioner" style={{ borderBlockEndColor: p.colour }} title={p.displayName}>
                      <span aria-hidden="true">
                        {columnWidth > 0 ? pickLabel(textVariants(p.displayName), columnWidth - 10, (text) => measure(text, true)) : p.displayName}
                      </span>
                      <span className="visually-hidden">{p.displayName}</span>
                    </span>
                  ))}
                </div>
              ) : null}
            </div>
          )
        })}
      </div>
      <div
        className="grid__body"
        style={{ ['--hour-px' as string]: `${60 * frame.pxPerMinute}px` }}
      >
        <div className="grid__gutter grid__hours" style={{ height }} aria-hidden="true">
          {hours.map((hour) => (
            <span key={hour} className="grid__hour" style={{ top: offsetOf(hour, frame) }}>
              {clock(hour)}
            </span>
          ))}
        </div>
        {/* Keyed by position, not date: paging to the next week then updates the columns, their
            hour lines and 28 tap targets each in place instead of unmounting and rebuilding them. */}
        {days.map((day, index) =>
          index >= drawn ? (
            <div key={index} className="grid__day grid__day--pending" style={{ flexGrow: practitioners.length }} aria-busy="true" />
          ) : (
            <div key={index} className="grid__day" style={{ flexGrow: practitioners.length }}>
              {practitioners.map((practitioner) => (
                <Column
                  key={practitioner.id}
                  {...props}
                  day={day}
                  practitioner={practitioner}
                  items={byColumn.get(`${day}|${practitioner.id}`) ?? []}
                  compact={week && practitioners.length > 1}
                  height={height}
                  columnWidth={columnWidth}
                  measure={measure}
                  absence={absenceOn(props.absences ?? [], practitioner.id, day)}
                  onHold={onHold}
                />
              ))}
            </div>
          ),
        )}
      </div>
    </div>
  )
}

function Column(
  props: GridProps & {
    day: string
    practitioner: Practitioner
    items: readonly Appointment[]
    compact: boolean
    height: number
    columnWidth: number
    measure: (text: string, compact: boolean) => number
    absence: Absence | undefined
    onHold: (held: boolean) => void
  },
) {
  const { day, practitioner, items, frame, height } = props
  const { t, clock, dayHeading } = useT()
  const date = dayHeading(day)
  const shaded = offHours(workingIntervalsOn(practitioner.workingHours, day), frame.from, frame.to)
  // Lanes are a matter of the wall clock the grid draws (no time-zone converter per block).
  const lanes = useMemo(
    () =>
      layoutLanes(
        items.filter((a) => a.status !== 'cancelled').map((a) => ({ id: a.id, start: a.start, end: addMinutes(a.start, a.durationMin) })),
      ),
    [items],
  )
  const nowOffset = props.now.slice(0, 10) === day ? offsetOf(props.now.slice(11), frame) : null

  // One tap target per column rather than one per half hour (1,960 buttons in a week of ten
  // practitioners): where the finger lands picks the quarter hour; a keyboard press, which has
  // no position (detail 0), opens the column's first free half hour of working hours.
  const tapColumn = (event: MouseEvent<HTMLButtonElement>) => {
    const time =
      event.detail !== 0
        ? timeAtOffset(event.clientY - event.currentTarget.getBoundingClientRect().top, frame, snapStep(event.shiftKey))
        : firstFreeTime(
            items.filter((a) => a.status !== 'cancelled'),
            workingIntervalsOn(practitioner.workingHours, day),
            frame,
          )
    props.onCreate({ day, time, practitionerId: practitioner.id })
  }
  // A mouse shows where a click would land: the quarter hour under it (a CSS variable, no render).
  const showLanding = (event: PointerEvent<HTMLButtonElement>) => {
    if (event.pointerType !== 'mouse') return
    const step = snapStep(event.shiftKey) * frame.pxPerMinute
    const y = event.clientY - event.currentTarget.getBoundingClientRect().top
    event.currentTarget.style.setProperty('--landing-top', `${Math.floor(y / step) * step}px`)
    event.currentTarget.style.setProperty('--landing-height', `${step}px`)
  }

  return (
    <div
      className="column"
      role="group"
      aria-label={
        props.absence
          ? `${t('agendaUi.column', { practitioner: practitioner.displayName, date })}, ${props.absence.label ?? t('agendaUi.absent')}`
          : t('agendaUi.column', { practitioner: practitioner.displayName, date })
      }
      data-column-day={day}
      data-column-practitioner={practitioner.id}
      style={{ height }}
    >
      {shaded.map((gap) => (
        <span
          key={gap.start}
          className="column__off"
          style={{ top: offsetOf(gap.start, frame), height: (minuteOfDay(gap.end) - minuteOfDay(gap.start)) * frame.pxPerMinute }}
          aria-hidden="true"
        />
      ))}
      {props.absence ? (
        <span className="column__absence" aria-hidden="true">
          <span className="column__absence-label">{props.absence.label ?? t('agendaUi.absent')}</span>
        </span>
      ) : null}
      <button
        type="button"
        className="column__new"
        aria-label={t('agendaUi.newInColumn', { practitioner: practitioner.displayName, date })}
        onClick={tapColumn}
        onPointerMove={showLanding}
      />
      {nowOffset !== null && nowOffset >= 0 && nowOffset <= height ? (
        <span className="column__now" style={{ top: nowOffset }}>
          <span className="visually-hidden">{t('agendaUi.now', { time: clock(props.now.slice(11)) })}</span>
        </span>
      ) : null}
      <ul className="column__blocks" aria-label={t('agendaUi.columnList', { practitioner: practitioner.displayName, date })}>
        {items.map((a) => (
          <AppointmentBlock
            key={a.id}
            appointment={a}
            lane={lanes.get(a.id) ?? { lane: 0, lanes: 1 }}
            frame={frame}
            overlaps={props.overlapping.has(a.id)}
            patient={a.patientId ? props.patients?.get(a.patientId) : undefined}
            practitioner={practitioner}
            kind={a.kindId ? props.kinds?.find((k) => k.id === a.kindId) : undefined}
            series={a.seriesId ? props.series?.get(a.seriesId) : undefined}
            compact={props.compact}
            columnWidth={props.columnWidth}
            measure={props.measure}
            onHold={props.onHold}
            onOpen={props.onOpen}
            onDrop={props.onDrop}
          />
        ))}
      </ul>
    </div>
  )
}
