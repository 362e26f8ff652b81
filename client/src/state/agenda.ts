/**
 * Hooks over the agenda's month docs. A view names the days it shows; only the month docs holding
 * them are opened (a week across two months opens two), and the months just before and after are
 * prefetched so that paging is instant — once the rooms the screen shows now have synced, since
 * with a relay room per month (layout 3) each neighbour is a room of its own to download. Ten
 * years of history cost nothing here: no other month is touched.
 */
import { useCallback, useEffect, useMemo, useSyncExternalStore } from 'react'
import type * as Y from 'yjs'
import { weekDigestAppointments, weekDigestCovers, type WeekDigest } from '../../../shared/src/digest/week-digest'
import { agendaDocId, listAppointments, listSeries } from '../../../shared/src/model'
import { agendaDocsFor } from './agenda-docs'
import type { Appointment, Series } from '../../../shared/src/model'
import { useDirectory } from './directory'
import { useDocFreshness, type DocFreshness } from './doc-freshness'
import { usePractice } from './practice-context'
import { useDoc, useDocSnapshot } from './use-doc'

/** The week digest the agenda shows while this week's months sync; null when it shows the docs. */
export function useWeekDigest(): WeekDigest | null {
  const { weekDigest } = usePractice().space
  return useSyncExternalStore(weekDigest.subscribe, weekDigest.current)
}

/**
 * Live appointments (deleted ones left out, cancelled ones kept) starting on `from`..`to`
 * inclusive, a range of at most two months (a day, a week, a month); null while a doc opens.
 * While the practice shows a week digest covering the range (a fresh device whose month has not
 * synced, see client/src/sync/digest-source.ts), its appointments, and the docs are not opened
 * here: integrating a month is the long task the digest keeps off the first screen. Once the
 * digest is cleared, its appointments stay shown until the docs have opened.
 */
export function useAgendaAppointments(from: string, to: string): Appointment[] | null {
  const { docs, space } = usePractice()
  const shownDigest = useWeekDigest()
  // Read at render: it changes only when the holder clears, which re-renders through useWeekDigest.
  const digest = shownDigest ?? space.weekDigest.beforeClear()
  const covered = digest !== null && weekDigestCovers(digest, from, to)
  const digestItems = useMemo(() => (covered ? weekDigestAppointments(digest, from, to) : null), [covered, digest, from, to])
  const fromDigest = shownDigest !== null && covered
  const { shown, background } = agendaDocsFor(from, to)
  const first = shown[0]!
  const last = shown[shown.length - 1]!
  const firstDoc = useDoc(agendaDocId(first), !fromDigest)
  // Always a second hook call (React needs a fixed number); the same doc when one month suffices.
  const lastDoc = useDoc(agendaDocId(last), !fromDigest)
  const read = useCallback((doc: Y.Doc) => listAppointments(doc, { from, to }).items, [from, to])
  const firstItems = useDocSnapshot(fromDigest ? null : firstDoc, read)
  const lastItems = useDocSnapshot(fromDigest || lastDoc === firstDoc ? null : lastDoc, read)

  const [before, after] = background
  useEffect(() => {
    if (fromDigest) return
    const releases = [before, after].filter((month) => month !== undefined).map((month) => docs.retain(agendaDocId(month), 'prefetch'))
    return () => releases.forEach((release) => release())
  }, [docs, before, after, fromDigest])

  const fromDocs = useMemo(() => {
    if (firstItems === null) return null
    if (first === last) return firstItems
    if (lastItems === null) return null
    return [...firstItems, ...lastItems]
  }, [first, last, firstItems, lastItems])
  return fromDigest ? digestItems : (fromDocs ?? digestItems)
}

/**
 * How far the agenda shown for `from`..`to` can be trusted (doc-freshness.ts): null while the week
 * digest is shown instead (its own banner says when it was made).
 */
export function useAgendaFreshness(from: string, to: string): DocFreshness | null {
  const shownDigest = useWeekDigest()
  const fromDigest = shownDigest !== null && weekDigestCovers(shownDigest, from, to)
  const docIds = useMemo(() => (fromDigest ? [] : agendaDocsFor(from, to).shown.map(agendaDocId)), [fromDigest, from, to])
  const freshness = useDocFreshness(docIds)
  return fromDigest ? null : freshness
}

function readSeriesIndex(doc: Y.Doc): ReadonlyMap<string, Series> {
  return new Map(listSeries(doc).items.map((series) => [series.id, series]))
}

/** Every series of the practice by id, for the "séance 4 / 10" labels; null while loading. */
export function useSeriesIndex(): ReadonlyMap<string, Series> | null {
  return useDocSnapshot(useDirectory(), readSeriesIndex)
}
