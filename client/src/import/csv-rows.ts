/**
 * One row of an imported file as the patient form would have received it, then checked by the
 * form's own boundary (`checkPatientForm`): the same required fields, NIR key, phone, e-mail and
 * postal-code checks, the same birth-date limits. What the form's inputs do for a person typing is
 * done here for the cells other programs write:
 *
 *   dates    « 12/03/1958 », « 1958-03-12 », « 12.03.1958 », « 12/03/1958 00:00:00 » (a
 *            spreadsheet's date-time), « 12/03/58 » (a birth year: the latest 58 not after today);
 *            « 31/02/1958 » is an error, never a nearby day
 *   sex      « F », « Femme », « Mme », « M », « H », « Homme », « M. », « 1 »/« 2 » (the NIR's digit)
 *   phones   the model normalises « 06 12 34 56 78 », « 06.12.34.56.78 », « +33 6 12 34 56 78 »;
 *            several numbers in one cell may be split by « / », « , » or « ; »
 */
import { foldText } from '../../../shared/src/model'
import type { NirMismatch, PatientFields, Sex } from '../../../shared/src/model'
import type { FieldIssue } from '../views/form/field-errors'
import { parseDateText } from '../views/form/french-date-input'
import { checkPatientForm } from '../views/patients/patient-form'
import type { CsvRow } from './csv-table'
import type { ColumnMapping, ImportTarget } from './csv-columns'

export type RowIssue = { readonly field: ImportTarget; readonly issue: FieldIssue }

export type CheckedRow =
  | { readonly ok: true; readonly fields: PatientFields; readonly warnings: NirMismatch[] }
  | { readonly ok: false; readonly issues: RowIssue[] }

const SEX_WORDS: Readonly<Record<string, Sex>> = {
  f: 'F', femme: 'F', feminin: 'F', mme: 'F', madame: 'F', mlle: 'F', mademoiselle: 'F', '2': 'F', female: 'F', w: 'F',
  m: 'M', h: 'M', homme: 'M', masculin: 'M', monsieur: 'M', mr: 'M', '1': 'M', male: 'M',
  x: 'X', autre: 'X', u: 'U', inconnu: 'U', indetermine: 'U',
}

/** A sex cell: the sex, undefined when blank, null when it says something else. */
export function readSex(cell: string): Sex | undefined | null {
  if (cell.trim() === '') return undefined
  return SEX_WORDS[foldText(cell)] ?? null
}

/** A spreadsheet writes a date cell as a date-time: its midnight is dropped before reading. */
const MIDNIGHT = /[\sT]+0{1,2}:00(?::00(?:\.0+)?)?Z?$/

function readBirthDate(cell: string, today: string): string | null {
  const read = parseDateText(cell.replace(MIDNIGHT, ''), { mode: 'past', reference: today })
  return read.kind === 'date' ? read.date : null
}

function splitPhones(cells: readonly string[]): string {
  return cells
    .flatMap((cell) => cell.split(/[,;/]/))
    .map((s) => s.trim())
    .filter(Boolean)
    .join(', ')
}

/** The row checked as the form checks what is typed; `today` is the practice's ('YYYY-MM-DD'). */
export function checkRow(row: CsvRow, mapping: ColumnMapping, today: string): CheckedRow {
  const values: Record<string, string> = {}
  const phones: string[] = []
  const issues: RowIssue[] = []
  mapping.forEach((target, i) => {
    const cell = row.cells[i] ?? ''
    if (target === null || cell === '') return
    switch (target) {
      case 'phone':
        phones.push(cell)
        return
      case 'birthDate': {
        const date = readBirthDate(cell, today)
        if (date === null) issues.push({ field: 'birthDate', issue: { code: 'invalid_date' } })
        else values.birthDate = date
        return
      }
      case 'sex': {
        const sex = readSex(cell)
        if (sex === null) issues.push({ field: 'sex', issue: { code: 'invalid_value' } })
        else if (sex !== undefined) values.sex = sex
        return
      }
      default:
        values[target] = cell
    }
  })
  if (phones.length > 0) values.phone = splitPhones(phones)
  const checked = checkPatientForm(values, { today })
  if (checked.ok && issues.length === 0) return { ok: true, fields: checked.fields, warnings: checked.warnings }
  const formIssues = checked.ok ? [] : Object.entries(checked.errors).flatMap(([field, issue]) => (issue ? [{ field: field as ImportTarget, issue }] : []))
  return { ok: false, issues: [...issues, ...formIssues] }
}
