import { useEffect, useLayoutEffect, useRef, useState } from 'react'
import type { KeyboardEvent } from 'react'
import { patientDisplayName } from '../../../../shared/src/model'
import type { Patient } from '../../../../shared/src/model'
import { useT } from '../../i18n'
import { routeHref } from '../../app/route'
import { formatPhone } from './patient-form'
import { ROW_HEIGHT, visibleRange } from './virtual-window'

/**
 * The patient list, windowed: with 20,000 patients only the rows in view (and a few around) are
 * in the DOM. Hand-written rather than a library because rows have one fixed height, which makes
 * it forty lines. Keyboard: ↓/↑ move between rows, Début/Fin jump, Entrée opens; the search field
 * hands focus to the first row with ↓ (`focusRow` below).
 */
export function VirtualPatientList(props: { patients: readonly Patient[]; label: string; focusRequest: number; resetKey: string }) {
  const { t, longDate } = useT()
  const { patients, label, focusRequest, resetKey } = props
  const scroller = useRef<HTMLDivElement>(null)
  const [scroll, setScroll] = useState({ top: 0, height: 640 })
  const [active, setActive] = useState<number | null>(null)

  useLayoutEffect(() => {
    const el = scroller.current
    if (!el) return
    const measure = () => setScroll({ top: el.scrollTop, height: el.clientHeight })
    measure()
    const observer = new ResizeObserver(measure)
    observer.observe(el)
    return () => observer.disconnect()
  }, [])

  // A new search starts at the top; a remote change to the list does not move the user's place.
  useEffect(() => {
    if (scroller.current) scroller.current.scrollTop = 0
  }, [resetKey])

  useEffect(() => {
    if (focusRequest > 0 && patients.length > 0) focusRow(0)
    // Only a new request from the search field moves focus, not a new result list.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [focusRequest])

  useEffect(() => {
    if (active === null) return
    scroller.current?.querySelector<HTMLAnchorElement>(`[data-row="${active}"] a`)?.focus()
  }, [active, scroll])

  function focusRow(index: number) {
    const el = scroller.current
    if (!el) return
    const row = Math.max(0, Math.min(patients.length - 1, index))
    const top = row * ROW_HEIGHT
    if (top < el.scrollTop) el.scrollTop = top
    else if (top + ROW_HEIGHT > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW_HEIGHT - el.clientHeight
    setScroll({ top: el.scrollTop, height: el.clientHeight })
    setActive(row)
  }

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const current = active ?? 0
    const page = Math.max(1, Math.floor(scroll.height / ROW_HEIGHT) - 1)
    const moves: Record<string, number> = {
      ArrowDown: current + 1,
      ArrowUp: current - 1,
      PageDown: current + page,
      PageUp: current - page,
      Home: 0,
      End: patients.length - 1,
    }
    const next = moves[event.key]
    if (next === undefined) return
    event.preventDefault()
    focusRow(next)
  }

  const { first, last } = visibleRange(scroll.top, scroll.height, patients.length)
  // Roving tab stop: the active row, or the first one in view when the active one scrolled away.
  const tabStop = active !== null && active >= first && active < last ? active : first
  const rows = []
  for (let i = first; i < last; i++) {
    const patient = patients[i] as Patient
    const details = [patient.birthDate ? longDate(patient.birthDate) : null, patient.phones?.[0] ? formatPhone(patient.phones[0]) : null]
    rows.push(
      <li key={patient.id} data-row={i} className="patient-row" style={{ top: i * ROW_HEIGHT }} aria-posinset={i + 1} aria-setsize={patients.length}>
        <a
          className="patient-list__item"
          href={routeHref({ view: 'patient', patientId: patient.id })}
          tabIndex={i === tabStop ? 0 : -1}
          onFocus={() => setActive(i)}
        >
          <span className="patient-list__name">
            {patientDisplayName(patient)}
            {patient.archived ? <span className="patient-row__archived"> · {t('patients.archivedTag')}</span> : null}
          </span>
          <span className="patient-list__details">{details.filter(Boolean).join(' · ')}</span>
        </a>
      </li>,
    )
  }

  return (
    <div
      ref={scroller}
      className="patient-scroller"
      onScroll={(e) => setScroll({ top: e.currentTarget.scrollTop, height: e.currentTarget.clientHeight })}
      onKeyDown={onKeyDown}
    >
      <ul className="patient-list patient-list--virtual" aria-label={label} style={{ height: patients.length * ROW_HEIGHT }}>
        {rows}
      </ul>
    </div>
  )
}
