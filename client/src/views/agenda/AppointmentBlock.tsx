import { useRef, useState } from 'react'
import type { CSSProperties, PointerEvent as ReactPointerEvent } from 'react'
import { patientDisplayName } from '../../../../shared/src/model'
import type { Appointment, AppointmentKind, Patient, Practitioner, Series } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { DRAG_THRESHOLD_PX, movedStart, resizedDuration, snapStep } from './drag-time'
import { blockBox, minuteOfDay } from './grid-layout'
import type { GridFrame, Lane } from './grid-layout'

/** Where a dragged block was dropped: a column is a day and a practitioner. */
export type Drop = { start: string; practitionerId: string; durationMin: number }

type Drag = {
  pointerId: number
  kind: 'move' | 'resize'
  x: number
  y: number
  moved: boolean
  dx: number
  dy: number
  column: { day: string; practitionerId: string; left: number } | null
  origin: number
}

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

/**
 * One appointment on the grid. A tap (or Enter) opens it in the editor; a drag moves it in time and
 * across columns, a drag of its bottom edge resizes it. Pointer events serve mouse, pen and finger
 * alike: the block captures the pointer and sets `touch-action: none` so that a finger drags the
 * block instead of scrolling the page (the grid around it still scrolls).
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
  onOpen: (appointment: Appointment) => void
  onDrop: (appointment: Appointment, drop: Drop) => void
}) {
  const { t, startOf, endOf } = useT()
  const { appointment: a, lane, frame, overlaps, patient, practitioner, kind, series, compact } = props
  const drag = useRef<Drag | null>(null)
  const justDragged = useRef(false)
  const [preview, setPreview] = useState<{ dx: number; dy: number; start: string; durationMin: number } | null>(null)

  const box = blockBox(a.start, a.durationMin, frame)
  const who = a.patientId ? (patient ? patientDisplayName(patient) : t('agenda.unknownPatient')) : (a.title ?? t('agenda.block'))
  const status = a.status === 'booked' ? null : t(`agendaUi.status.${a.status}`)
  const position = a.seriesId && series ? t('agendaUi.seriesPosition', { index: a.occurrence ?? 1, total: series.total }) : null

  const outcome = (d: Drag, fine: boolean): Drop & { dx: number; dy: number } => {
    const step = snapStep(fine)
    if (d.kind === 'resize') {
      const durationMin = resizedDuration(a.durationMin, d.dy, frame, step)
      return { start: a.start, practitionerId: a.practitionerId, durationMin, dx: 0, dy: 0 }
    }
    const day = d.column?.day ?? a.start.slice(0, 10)
    const start = movedStart(a.start, d.dy, day, frame, step)
    const snappedDy = (minuteOfDay(start.slice(11)) - minuteOfDay(a.start.slice(11))) * frame.pxPerMinute
    return {
      start,
      practitionerId: d.column?.practitionerId ?? a.practitionerId,
      durationMin: a.durationMin,
      dx: d.column ? d.column.left - d.origin : 0,
      dy: snappedDy,
    }
  }

  const onPointerDown = (event: ReactPointerEvent<HTMLElement>, kind: Drag['kind']) => {
    if (event.button !== 0 || drag.current) return
    event.stopPropagation()
    justDragged.current = false
    const own = event.currentTarget.closest<HTMLElement>('[data-column-day]')
    event.currentTarget.setPointerCapture(event.pointerId)
    drag.current = {
      pointerId: event.pointerId,
      kind,
      x: event.clientX,
      y: event.clientY,
      moved: false,
      dx: 0,
      dy: 0,
      column: null,
      origin: own?.getBoundingClientRect().left ?? 0,
    }
  }

  const onPointerMove = (event: ReactPointerEvent<HTMLElement>) => {
    const d = drag.current
    if (!d || d.pointerId !== event.pointerId) return
    d.dx = event.clientX - d.x
    d.dy = event.clientY - d.y
    if (!d.moved && Math.hypot(d.dx, d.dy) < DRAG_THRESHOLD_PX) return
    d.moved = true
    if (d.kind === 'move') d.column = columnAt(event.clientX, event.clientY)
    const next = outcome(d, event.shiftKey)
    setPreview({ dx: next.dx, dy: next.dy, start: next.start, durationMin: next.durationMin })
  }

  const onPointerUp = (event: ReactPointerEvent<HTMLElement>) => {
    const d = drag.current
    if (!d || d.pointerId !== event.pointerId) return
    drag.current = null
    setPreview(null)
    if (!d.moved) return
    justDragged.current = true
    const { start, practitionerId, durationMin } = outcome(d, event.shiftKey)
    if (start !== a.start || practitionerId !== a.practitionerId || durationMin !== a.durationMin) {
      props.onDrop(a, { start, practitionerId, durationMin })
    }
  }

  const onPointerCancel = () => {
    drag.current = null
    setPreview(null)
  }

  const shownStart = preview?.start ?? a.start
  const shownDuration = preview?.durationMin ?? a.durationMin
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
    overlaps ? 'block--overlap' : '',
    a.status === 'cancelled' || a.status === 'noshow' ? 'block--cancelled' : '',
    a.status === 'fulfilled' ? 'block--done' : '',
    a.place === 'home' ? 'block--home' : '',
    preview ? 'block--dragging' : '',
    compact ? 'block--compact' : '',
  ]
  return (
    <li className="block__item">
      <button
        type="button"
        className={classes.filter(Boolean).join(' ')}
        style={style}
        onPointerDown={(event) => onPointerDown(event, 'move')}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerCancel}
        onClick={() => {
          if (justDragged.current) {
            justDragged.current = false
            return
          }
          props.onOpen(a)
        }}
      >
        <span className="block__time">
          {t('agenda.timeRange', { start: startOf(shownStart), end: endOf(shownStart, shownDuration) })}
        </span>{' '}
        <span className="block__who">{who}</span>
        {a.patientId && a.title ? <span className="block__title"> · {a.title}</span> : null}
        {kind ? <span className="block__kind"> · {kind.label}</span> : null}
        {position ? <span className="block__series"> · {position}</span> : null}
        {a.place === 'home' ? <span className="block__home"> · {t('agenda.homeVisit')}</span> : null}
        {status ? <span className="block__status"> · {status}</span> : null}
        {overlaps ? (
          <span className="block__overlap">
            {' '}
            <span aria-hidden="true">⚠ </span>
            {t('agenda.overlap')}
          </span>
        ) : null}
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
