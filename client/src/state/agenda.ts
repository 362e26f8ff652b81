/**
 * Hooks over the agenda's month docs. A view names the days it shows; only the month docs holding
 * them are opened (a week across two months opens two), and the months just before and after are
 * prefetched so that paging is instant — once the rooms the screen shows now have synced, since
 * with a relay room per month (layout 3) each neighbour is a room of its own to download. Ten
 * years of history cost nothing here: no other month is touched.
 */
import { useCallback, useEffect, useMemo } from 'react'
import type * as Y from 'yjs'
import { agendaDocId, listAppointments, listSeries } from '../../../shared/src/model'
import { agendaDocsFor } from './agenda-docs'
import type { Appointment, Series } from '../../../shared/src/model'
import { useDirectory } from './directory'
import { usePractice } from './practice-context'
import { useDoc, useDocSnapshot } from './use-doc'

/**
 * Live appointments (deleted ones left out, cancelled ones kept) starting on `from`..`to`
 * inclusive, a range of at most two months (a day, a week, a month); null while a doc opens.
 */
export function useAgendaAppointments(from: string, to: string): Appointment[] | null {
  const { docs } = usePractice()
  const { shown, background } = agendaDocsFor(from, to)
  const first = shown[0]!
  const last = shown[shown.length - 1]!
  const firstDoc = useDoc(agendaDocId(first))
  // Always a second hook call (React needs a fixed number); the same doc when one month suffices.
  const lastDoc = useDoc(agendaDocId(last))
  const read = useCallback((doc: Y.Doc) => listAppointments(doc, { from, to }).items, [from, to])
  const firstItems = useDocSnapshot(firstDoc, read)
  const lastItems = useDocSnapshot(lastDoc === firstDoc ? null : lastDoc, read)

  const [before, after] = background
  useEffect(() => {
    if (before) docs.prefetch(agendaDocId(before))
    if (after) docs.prefetch(agendaDocId(after))
  }, [docs, before, after])

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
