import { useRef, useState } from 'react'
import type { CSSProperties, PointerEvent as ReactPointerEvent } from 'react'
import { patientFamilyName } from '../../../../shared/src/model'
import type { Appointment, AppointmentKind, Patient, Practitioner, Series } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { nameVariants, pickLabel, textVariants } from './block-label'
import { movedStart, resizedDuration, snapStep } from './drag-time'
import { blockBox, minuteOfDay } from './grid-layout'
import type { GridFrame, Lane } from './grid-layout'
import { IDLE, LONG_PRESS_MS, holdsGesture, nextPress } from './press-gesture'
import type { PointerKind, PressEvent, PressState } from './press-gesture'
import { STATUS_ICONS } from './status-look'

/** Where a dragged block was dropped: a column is a day and a practitioner. */
export type Drop = { start: string; practitionerId: string; durationMin: number }
export type DropKind = 'move' | 'resize'

type Gesture = {
  pointerId: number
  kind: DropKind
  state: PressState
  dx: number
  dy: number
  column: { day: string; practitionerId: string; left: number } | null
  origin: number
  timer: ReturnType<typeof setTimeout> | null
}

/** Horizontal room a block's name does not get: its coloured edge, right border, padding, a pixel to spare. */
const BLOCK_CHROME_PX = 5 + 1 + 2 * 4 + 2

/** The column (day, practitioner) under a point, found by the data attributes TimeGrid sets. */
function columnAt(x: number, y: number): { day: string; practitionerId: string; left: number } | null {
  for (const element of document.elementsFromPoint(x, y)) {
    if (!(element instanceof HTMLElement)) continue
    const { columnDay, columnPractitioner } = element.dataset
    if (columnDay && columnPractitioner) {
      return { day: columnDay, practitionerId: columnPractitioner, left: element.getBoundingClientRect().left }
    }
  }
  return null
}

function pointerKind(type: string): PointerKind {
  return type === 'touch' ? 'touch' : type === 'pen' ? 'pen' : 'mouse'
}

/**
 * One appointment on the grid. A tap (or Enter) opens it. Moving and resizing follow the touch
 * model of press-gesture.ts: a mouse or a pen drags at once; a finger must hold still for a long
 * press first (the block lifts), so that a swipe over a full day scrolls it and never moves an
 * appointment. The block lets the grid pan (`touch-action: pan-x pan-y`); once lifted, it says so
 * (`onHold`) and the grid cancels the finger's moves (one non-passive touchmove listener for all
 * blocks, TimeGrid), so the page stays put under the drag.
 *
 * It shows the patient's name first, in the longest form that fits its width (block-label.ts);
 * its accessible name and text hold everything in full, whatever the face shows.
 */
export function AppointmentBlock(props: {
  appointment: Appointment
  lane: Lane
  frame: GridFrame
  overlaps: boolean
  patient: Patient | undefined
  practitioner: Practitioner | undefined
  kind: AppointmentKind | undefined
  series: Series | undefined
  compact: boolean
  /** The width of the block's column, px; 0 until measured. */
  columnWidth: number
  measure: (text: string, compact: boolean) => number
  onOpen: (appointment: Appointment) => void
  onDrop: (appointment: Appointment, drop: Drop, kind: DropKind) => void
  /** Whether this block holds a finger's gesture now (lifted or dragged): the grid then cancels the finger's scroll. */
  onHold: (held: boolean) => void
}) {
  const { t, startOf, endOf } = useT()
  const { appointment: a, lane, frame, overlaps, patient, practitioner, kind, series, compact } = props
  const gesture = useRef<Gesture | null>(null)
  const justDragged = useRef(false)
  const [lifted, setLifted] = useState(false)
  const [preview, setPreview] = useState<{ dx: number; dy: number; start: string; durationMin: number } | null>(null)

  const box = blockBox(a.start, a.durationMin, frame)
  const fullName = a.patientId ? (patient ? `${patientFamilyName(patient)} ${patient.firstNames}` : t('agenda.unknownPatient')) : (a.title ?? t('agenda.block'))
  const variants = a.patientId && patient ? nameVariants(patientFamilyName(patient), patient.firstNames) : textVariants(fullName)
  // Beside the name on its line (a wide block): the status symbol and « ⚠ Chevauche ». A narrow
  // (compact) block puts them on the line under the name instead.
  const beside = compact
    ? 0
    : (STATUS_ICONS[a.status] ? props.measure(STATUS_ICONS[a.status], false) + 3 : 0) +
      (overlaps ? props.measure(`⚠ ${t('agendaUi.overlapShort')}`, false) + 3 : 0)
  const room = props.columnWidth / lane.lanes - BLOCK_CHROME_PX - beside
  const shown = props.columnWidth > 0 ? pickLabel(variants, room, (text) => props.measure(text, compact)) : fullName
  const status = a.status === 'booked' ? null : t(`agendaUi.status.${a.status}`)
  const position = a.seriesId && series ? t('agendaUi.seriesPosition', { index: a.occurrence ?? 1, total: series.total }) : null

  const outcome = (g: Gesture, fine: boolean): Drop & { dx: number; dy: number } => {
    const step = snapStep(fine)
    if (g.kind === 'resize') {
      const durationMin = resizedDuration(a.durationMin, g.dy, frame, step)
      return { start: a.start, practitionerId: a.practitionerId, durationMin, dx: 0, dy: 0 }
    }
    const day = g.column?.day ?? a.start.slice(0, 10)
    const start = movedStart(a.start, g.dy, day, frame, step)
    const snappedDy = (minuteOfDay(start.slice(11)) - minuteOfDay(a.start.slice(11))) * frame.pxPerMinute
    return {
      start,
      practitionerId: g.column?.practitionerId ?? a.practitionerId,
      durationMin: a.durationMin,
      dx: g.column ? g.column.left - g.origin : 0,
      dy: snappedDy,
    }
  }

  const step = (g: Gesture, event: PressEvent) => {
    g.state = nextPress(g.state, event)
    const held = holdsGesture(g.state)
    setLifted(held)
    props.onHold(held)
  }

  const end = () => {
    const g = gesture.current
    if (g?.timer) clearTimeout(g.timer)
    gesture.current = null
    setLifted(false)
    setPreview(null)
    props.onHold(false)
  }

  const onPointerDown = (event: ReactPointerEvent<HTMLElement>, kind: DropKind) => {
    if (event.button !== 0 || gesture.current) return
    event.stopPropagation()
    justDragged.current = false
    const own = event.currentTarget.closest<HTMLElement>('[data-column-day]')
    const pointer = pointerKind(event.pointerType)
    // A finger is captured by the browser already; a mouse or pen is captured here, so a drag
    // that leaves the block keeps reporting to it.
    if (pointer !== 'touch') event.currentTarget.setPointerCapture(event.pointerId)
    const g: Gesture = {
      pointerId: event.pointerId,
      kind,
      state: IDLE,
      dx: 0,
      dy: 0,
      column: null,
      origin: own?.getBoundingClientRect().left ?? 0,
      timer: null,
    }
    gesture.current = g
    step(g, { type: 'down', pointer, x: event.clientX, y: event.clientY })
    if (pointer === 'touch') {
      g.timer = setTimeout(() => {
        if (gesture.current !== g) return
        step(g, { type: 'longPress' })
        if (g.state.phase === 'lifted') navigator.vibrate?.(15)
      }, LONG_PRESS_MS)
    }
  }

  const onPointerMove = (event: ReactPointerEvent<HTMLElement>) => {
    const g = gesture.current
    if (!g || g.pointerId !== event.pointerId) return
    step(g, { type: 'move', x: event.clientX, y: event.clientY })
    if (g.state.phase !== 'dragging') return
    g.dx = event.clientX - g.state.x
    g.dy = event.clientY - g.state.y
    if (g.kind === 'move') g.column = columnAt(event.clientX, event.clientY)
    const next = outcome(g, event.shiftKey)
    setPreview({ dx: next.dx, dy: next.dy, start: next.start, durationMin: next.durationMin })
  }

  const onPointerUp = (event: ReactPointerEvent<HTMLElement>) => {
    const g = gesture.current
    if (!g || g.pointerId !== event.pointerId) return
    const phase = g.state.phase
    const result = phase === 'dragging' ? outcome(g, event.shiftKey) : null
    end()
    // A long press that did not move is neither a tap nor a drop.
    if (phase === 'lifted' || phase === 'dragging') justDragged.current = true
    if (!result) return
    const { start, practitionerId, durationMin } = result
    if (start !== a.start || practitionerId !== a.practitionerId || durationMin !== a.durationMin) {
      props.onDrop(a, { start, practitionerId, durationMin }, g.kind)
    }
  }

  const shownStart = preview?.start ?? a.start
  const shownDuration = preview?.durationMin ?? a.durationMin
  const time = t('agenda.timeRange', { start: startOf(shownStart), end: endOf(shownStart, shownDuration) })
  const style: CSSProperties = {
    top: box.top,
    height: preview ? Math.max(shownDuration * frame.pxPerMinute, 12) : box.height,
    left: `${(lane.lane / lane.lanes) * 100}%`,
    width: `${100 / lane.lanes}%`,
    borderInlineStartColor: practitioner?.colour ?? '#64748b',
    ...(kind ? { ['--kind' as string]: kind.colour } : {}),
    ...(preview ? { transform: `translate(${preview.dx}px, ${preview.dy}px)`, zIndex: 5 } : {}),
  }
  const classes = [
    'block',
    `block--${a.status}`,
    overlaps ? 'block--overlap' : '',
    a.place === 'home' ? 'block--home' : '',
    lifted ? 'block--lifted' : '',
    preview ? 'block--dragging' : '',
    compact ? 'block--compact' : '',
    box.height < 40 ? 'block--short' : '',
  ]
  // Everything in words, in the order the day reads: what assistive technology and `textContent`
  // get, whatever the face below has room for.
  const full = [
    `${time} ${fullName}`,
    a.patientId && a.title ? ` · ${a.title}` : '',
    kind ? ` · ${kind.label}` : '',
    position ? ` · ${position}` : '',
    a.place === 'home' ? ` · ${t('agenda.homeVisit')}` : '',
    status ? ` · ${status}` : '',
    a.status === 'cancelled' && a.cancelReason ? ` · ${t('agendaUi.status.reason', { reason: a.cancelReason })}` : '',
    overlaps ? ` · ${t('agenda.overlap')}` : '',
  ].join('')
  const meta = [a.patientId && a.title ? a.title : null, kind?.label, position, a.place === 'home' ? t('agenda.homeVisit') : null].filter(Boolean).join(' · ')
  return (
    <li className="block__item">
      <button
        type="button"
        className={classes.filter(Boolean).join(' ')}
        style={style}
        title={full}
        data-status={a.status}
        onPointerDown={(event) => onPointerDown(event, 'move')}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={end}
        onContextMenu={(event) => event.preventDefault()}
        onClick={() => {
          if (justDragged.current) {
            justDragged.current = false
            return
          }
          props.onOpen(a)
        }}
      >
        <span className="visually-hidden">{full}</span>
        <span className="block__face" aria-hidden="true">
          {/* The name first, the status symbol after it (on the next line when the column is
              narrow); then one line of time, status, reason and kind, cut at the block's width. */}
          <span className="block__head">
            <span className="block__who">{shown}</span>
            {STATUS_ICONS[a.status] ? <span className="block__icon">{STATUS_ICONS[a.status]}</span> : null}
            {overlaps ? (
              <span className="block__overlap">
                ⚠<span className="block__overlap-word"> {t('agendaUi.overlapShort')}</span>
              </span>
            ) : null}
          </span>
          <span className="block__line">
            <span className="block__time">{time}</span>
            {status ? <span className="block__status"> · {status}</span> : null}
            {a.status === 'cancelled' && a.cancelReason ? <span className="block__reason"> · {a.cancelReason}</span> : null}
            {meta ? <span className="block__meta"> · {meta}</span> : null}
          </span>
        </span>
        <span
          className="block__resize"
          aria-hidden="true"
          // Its move and up events bubble to the block's handlers.
          onPointerDown={(event) => onPointerDown(event, 'resize')}
        />
      </button>
    </li>
  )
}
