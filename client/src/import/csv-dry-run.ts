/**
 * The dry run: what importing a file would do, row by row, before anything is written.
 *
 *   create     valid, and no patient of the practice (nor an earlier row) is the same person
 *   invalid    the fields the form would refuse, and why (NIR key, 31/02, a 4-digit postal code…)
 *   existing   the same person as a patient already there, by the practice's duplicate rule
 *              (patient-duplicates.ts: same birth date, first names and name, folded): not created
 *   repeated   the same person as an earlier row of the file: created once
 *
 * Rows without a birth date are never matched (the rule needs one), as in the patient form.
 */
import { sameIdentity } from '../../../shared/src/model'
import type { NirMismatch, Patient, PatientFields, PatientIdentity } from '../../../shared/src/model'
import { checkRow } from './csv-rows'
import type { RowIssue } from './csv-rows'
import type { CsvTable } from './csv-table'
import type { ColumnMapping, ImportTarget } from './csv-columns'
import { missingTargets, repeatedTargets } from './csv-columns'

/** `name` is the row's name and first names as the file writes them, to show the person. */
export type PlannedRow =
  | { readonly kind: 'create'; readonly line: number; readonly name: string; readonly fields: PatientFields; readonly warnings: NirMismatch[] }
  | { readonly kind: 'invalid'; readonly line: number; readonly name: string; readonly issues: RowIssue[] }
  | { readonly kind: 'existing'; readonly line: number; readonly name: string; readonly patient: Patient }
  | { readonly kind: 'repeated'; readonly line: number; readonly name: string; readonly firstLine: number }

export type PlannedKind = PlannedRow['kind']

export type DryRun = { readonly rows: readonly PlannedRow[]; readonly counts: Readonly<Record<PlannedKind, number>> }

export class MappingError extends Error {
  override name = 'MappingError'
}

/** 'Dupont Jeanne' as the file writes it; '' when the row names nobody (the screen says so). */
function rowName(mapping: ColumnMapping, cells: readonly string[]): string {
  const cell = (target: ImportTarget) => cells[mapping.indexOf(target)] ?? ''
  return [cell('usualName') || cell('birthName'), cell('firstNames')].filter(Boolean).join(' ')
}

/** Identities grouped by birth date: the rule needs equal birth dates, so only a group is compared. */
class IdentityIndex<T extends PatientIdentity> {
  private readonly byDate = new Map<string, T[]>()

  add(identity: T): void {
    if (!identity.birthDate) return
    const group = this.byDate.get(identity.birthDate)
    if (group) group.push(identity)
    else this.byDate.set(identity.birthDate, [identity])
  }

  find(identity: PatientIdentity): T | undefined {
    if (!identity.birthDate) return undefined
    return this.byDate.get(identity.birthDate)?.find((other) => sameIdentity(identity, other))
  }
}

/**
 * `existing` are the practice's patients (deleted ones are ignored; archived ones count, as for
 * duplicates); `today` the practice's day, for birth dates.
 */
export function planImport(table: CsvTable, mapping: ColumnMapping, existing: readonly Patient[], today: string): DryRun {
  const lacking = [...missingTargets(mapping), ...repeatedTargets(mapping)]
  if (lacking.length > 0) throw new MappingError(`The mapping cannot be used: ${lacking.join(', ')}`)
  const known = new IdentityIndex<Patient>()
  for (const p of existing) if (p.deletedAt === undefined) known.add(p)
  const earlier = new IdentityIndex<PatientFields & { line: number }>()
  const counts: Record<PlannedKind, number> = { create: 0, invalid: 0, existing: 0, repeated: 0 }
  const rows = table.rows.map((row): PlannedRow => {
    const name = rowName(mapping, row.cells)
    const checked = checkRow(row, mapping, today)
    let planned: PlannedRow
    if (!checked.ok) planned = { kind: 'invalid', line: row.line, name, issues: checked.issues }
    else {
      const patient = known.find(checked.fields)
      const first = patient ? undefined : earlier.find(checked.fields)
      if (patient) planned = { kind: 'existing', line: row.line, name, patient }
      else if (first) planned = { kind: 'repeated', line: row.line, name, firstLine: first.line }
      else {
        earlier.add({ ...checked.fields, line: row.line })
        planned = { kind: 'create', line: row.line, name, fields: checked.fields, warnings: checked.warnings }
      }
    }
    counts[planned.kind]++
    return planned
  })
  return { rows, counts }
}
