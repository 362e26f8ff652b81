/**
 * Where a merged patient went. Merging duplicates writes one durable redirect in the directory,
 * and every reader resolves patient ids through the redirects instead of moving data at merge
 * time: a note, an appointment, an attachment or an ordonnance that reaches the merged-away
 * record later (a device that was offline) follows the merge on every device, with nothing to
 * run again and nobody to arbitrate.
 *
 *   directory  patients  <dropped id> → Y.Map { …, mergedInto: <kept id>, deletedAt, deletedBy }
 *
 * The redirect is the dropped record's `mergedInto` field (an LWW value, written by mergePatients
 * with the soft delete, in one transaction). Rules, the same on every replica:
 *
 * - An edge `a → b` exists when record a's `mergedInto` is a record id (isRecordId), not a's own,
 *   and b is a patient record of this directory. Anything else is no edge and is reported in
 *   `issues`: records read from Yjs are untrusted, and a bad redirect must neither loop nor send
 *   a patient's file somewhere that does not exist (the record stays where it is).
 * - Each record has at most one edge, so from any id the walk along edges either stops at a record
 *   with no edge (its survivor) or comes back on itself (a cycle).
 * - Chains compose: A merged into B, then B into C, and A's survivor is C.
 * - A cycle comes from concurrent merges in opposite directions on devices that were offline (A
 *   into B here, B into A there; or longer). It is broken at its oldest member (earlier createdAt,
 *   then smaller id: the rule mergeOrder uses), whose own edge is ignored: that member is the
 *   survivor of the whole cycle and of every chain leading into it. Every replica holding the same
 *   directory computes the same survivor, without talking. `settleMergeCycles` then writes that
 *   answer down (clears the survivor's redirect and restores it), so that lists, which hide
 *   deleted records, show it again; until then the redirects already resolve to it.
 * - The members of a survivor are itself and every record whose survivor it is. What readers show
 *   for the survivor is the union of its members': their notes, ordonnances and attachments (each
 *   in its own patient/<id> doc, in its own file room), and the appointments that name any of them,
 *   in the agenda months any of them lists.
 */
import * as Y from 'yjs'
import { DIRECTORY_MAPS } from './collections'
import { isRecordId } from './ids'
import type { Patient } from './record-schemas'

const PATIENTS = DIRECTORY_MAPS.patients
export const MERGED_INTO = 'mergedInto'

/** Why a stored `mergedInto` is not followed. */
export const REDIRECT_ISSUES = ['not_an_id', 'self', 'unknown_target'] as const
export type RedirectIssueReason = (typeof REDIRECT_ISSUES)[number]
export type RedirectIssue = { readonly id: string; readonly reason: RedirectIssueReason }

/** A cycle of redirects and the member it is broken at (module comment). */
export type BrokenCycle = { readonly survivor: string; readonly members: readonly string[] }

/** A patient as the redirects read it. */
type RedirectRow = Pick<Patient, 'id' | 'createdAt' | 'mergedInto'>

/** What the redirects are built from: each record's id, stored `mergedInto`, and createdAt. */
type RedirectSource = {
  /** [id, stored mergedInto] of every record that has one (other records need not be listed). */
  readonly redirects: Iterable<readonly [string, unknown]>
  readonly exists: (id: string) => boolean
  /** The record's createdAt, or undefined when it is not a number: it then sorts last. */
  readonly createdAt: (id: string) => number | undefined
}

function olderFirst(createdAt: (id: string) => number | undefined): (a: string, b: string) => number {
  return (a, b) => {
    const ta = createdAt(a) ?? Number.POSITIVE_INFINITY
    const tb = createdAt(b) ?? Number.POSITIVE_INFINITY
    return ta !== tb ? (ta < tb ? -1 : 1) : a < b ? -1 : a > b ? 1 : 0
  }
}

export class PatientRedirects {
  /** Survivor of every merged-away id (ids that are their own survivor are not listed). */
  private readonly survivors = new Map<string, string>()
  /** Merged-away ids of each survivor, sorted. */
  private readonly mergedInto = new Map<string, string[]>()
  readonly issues: readonly RedirectIssue[]
  readonly cycles: readonly BrokenCycle[]

  private constructor(source: RedirectSource) {
    const edges = new Map<string, string>()
    const issues: RedirectIssue[] = []
    for (const [id, target] of source.redirects) {
      if (target === undefined) continue
      if (!isRecordId(target)) issues.push({ id, reason: 'not_an_id' })
      else if (target === id) issues.push({ id, reason: 'self' })
      else if (!source.exists(target)) issues.push({ id, reason: 'unknown_target' })
      else edges.set(id, target)
    }
    const cycles: BrokenCycle[] = []
    const resolved = new Map<string, string>()
    for (const start of edges.keys()) {
      if (resolved.has(start)) continue
      const path: string[] = []
      const onPath = new Map<string, number>()
      let current = start
      let survivor: string
      for (;;) {
        const known = resolved.get(current)
        if (known !== undefined) {
          survivor = known
          break
        }
        const at = onPath.get(current)
        if (at !== undefined) {
          const members = path.slice(at).sort(olderFirst(source.createdAt))
          survivor = members[0]!
          cycles.push({ survivor, members })
          break
        }
        const next = edges.get(current)
        if (next === undefined) {
          survivor = current
          break
        }
        onPath.set(current, path.length)
        path.push(current)
        current = next
      }
      for (const id of path) resolved.set(id, survivor)
    }
    for (const [id, survivor] of resolved) {
      if (id === survivor) continue
      this.survivors.set(id, survivor)
      const merged = this.mergedInto.get(survivor)
      if (merged) merged.push(id)
      else this.mergedInto.set(survivor, [id])
    }
    for (const merged of this.mergedInto.values()) merged.sort()
    this.issues = issues
    this.cycles = cycles
  }

  /** The redirects of a directory doc, read from the raw records (a scan of one key per patient). */
  static fromDirectory(directory: Y.Doc): PatientRedirects {
    const patients = directory.getMap<unknown>(PATIENTS)
    const redirects: [string, unknown][] = []
    patients.forEach((value, id) => {
      if (!(value instanceof Y.Map)) return
      const target: unknown = value.get(MERGED_INTO)
      if (target !== undefined) redirects.push([id, target])
    })
    return new PatientRedirects({
      redirects,
      exists: (id) => patients.get(id) instanceof Y.Map,
      createdAt: (id) => {
        const record = patients.get(id)
        const at: unknown = record instanceof Y.Map ? record.get('createdAt') : undefined
        return typeof at === 'number' ? at : undefined
      },
    })
  }

  /** The redirects among patients already read (a directory digest, or a validated list). */
  static fromPatients(patients: readonly RedirectRow[]): PatientRedirects {
    return PatientRedirects.among(
      new Map(patients.map((patient) => [patient.id, patient])),
      patients.filter((patient) => patient.mergedInto !== undefined),
    )
  }

  /** The redirects among patients by id, `merged` being those of them that carry a `mergedInto`. */
  static among(byId: ReadonlyMap<string, RedirectRow>, merged: readonly RedirectRow[]): PatientRedirects {
    return new PatientRedirects({
      redirects: merged.map((patient) => [patient.id, patient.mergedInto] as const),
      exists: (id) => byId.has(id),
      createdAt: (id) => byId.get(id)?.createdAt,
    })
  }

  /** The id readers show for `id`: its survivor, or itself when it was not merged away. */
  survivorOf(id: string): string {
    return this.survivors.get(id) ?? id
  }

  isMergedAway(id: string): boolean {
    return this.survivors.has(id)
  }

  /** The survivor of `id` first, then every record merged into it (sorted): whose data it shows. */
  membersOf(id: string): readonly string[] {
    const survivor = this.survivorOf(id)
    return [survivor, ...(this.mergedInto.get(survivor) ?? [])]
  }

  /** How many records are merged away. */
  get size(): number {
    return this.survivors.size
  }
}

/**
 * Patients by id for readers that name the patient of an appointment (agenda, tournée, print):
 * a merged-away id gives its survivor's record, so an appointment booked for the duplicate shows
 * the patient it was merged into; an id whose survivor is not in `patients` gives its own record.
 */
export function patientsBySurvivor<P extends RedirectRow>(patients: readonly P[]): Map<string, P> {
  const byId = new Map(patients.map((patient) => [patient.id, patient]))
  const merged = patients.filter((patient) => patient.mergedInto !== undefined)
  // The redirects cost only when there are some.
  if (merged.length === 0) return byId
  const redirects = PatientRedirects.among(byId, merged)
  for (const patient of merged) {
    const survivor = byId.get(redirects.survivorOf(patient.id))
    if (survivor && survivor !== patient) byId.set(patient.id, survivor)
  }
  return byId
}
