/**
 * Hooks over the agenda's month docs. A view names the days it shows; only the month docs holding
 * them are opened (a week across two months opens two), and the months just before and after are
 * requested in the background so that paging is instant. Ten years of history cost nothing here:
 * no other month is touched.
 */
import { useCallback, useEffect, useMemo } from 'react'
import type * as Y from 'yjs'
import { agendaDocId, listAppointments, listSeries, monthOf } from '../../../shared/src/model'
import type { Appointment, Series } from '../../../shared/src/model'
import { useDirectory } from './directory'
import { usePractice } from './practice-context'
import { useDoc, useDocSnapshot } from './use-doc'

function shiftMonth(month: string, delta: number): string {
  const index = Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1 + delta
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`
}

/**
 * Live appointments (deleted ones left out, cancelled ones kept) starting on `from`..`to`
 * inclusive, a range of at most two months (a day, a week, a month); null while a doc opens.
 */
export function useAgendaAppointments(from: string, to: string): Appointment[] | null {
  const { docs } = usePractice()
  const first = monthOf(from)
  const last = monthOf(to)
  const firstDoc = useDoc(agendaDocId(first))
  // Always a second hook call (React needs a fixed number); the same doc when one month suffices.
  const lastDoc = useDoc(agendaDocId(last))
  const read = useCallback((doc: Y.Doc) => listAppointments(doc, { from, to }).items, [from, to])
  const firstItems = useDocSnapshot(firstDoc, read)
  const lastItems = useDocSnapshot(lastDoc === firstDoc ? null : lastDoc, read)

  useEffect(() => {
    docs.request(agendaDocId(shiftMonth(first, -1)))
    docs.request(agendaDocId(shiftMonth(last, 1)))
  }, [docs, first, last])

  return useMemo(() => {
    if (firstItems === null) return null
    if (first === last) return firstItems
    if (lastItems === null) return null
    return [...firstItems, ...lastItems]
  }, [first, last, firstItems, lastItems])
}

function readSeriesIndex(doc: Y.Doc): ReadonlyMap<string, Series> {
  return new Map(listSeries(doc).items.map((series) => [series.id, series]))
}

/** Every series of the practice by id, for the "séance 4 / 10" labels; null while loading. */
export function useSeriesIndex(): ReadonlyMap<string, Series> | null {
  return useDocSnapshot(useDirectory(), readSeriesIndex)
}
