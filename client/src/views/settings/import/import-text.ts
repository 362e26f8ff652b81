/**
 * What the import screen says, as pure functions of what the import modules return: a refused
 * file (naming its line and field), each row of the dry run, each patient an undo keeps.
 */
import { patientDisplayName } from '../../../../../shared/src/model'
import type { CsvFileError, CsvFileProblem, CsvTable } from '../../../import/csv-table'
import type { PlannedRow } from '../../../import/csv-dry-run'
import type { ImportBatch } from '../../../import/import-batch'
import type { KeptRecord, UndoPlan } from '../../../import/import-undo'
import type { ImportTarget } from '../../../import/csv-columns'
import type { PlainKey, Translator } from '../../../i18n'
import { issueText } from '../../form/issue-text'
import { nirMismatchWhat } from '../../patients/nir-warning'
import { PATIENT_FIELD_LABELS } from '../../patients/PatientFormFields'

type T = Pick<Translator, 't'>

export function targetLabel(target: ImportTarget, { t }: T): string {
  return t(PATIENT_FIELD_LABELS[target])
}

/** « Fichier incomplet, ligne 7 : le champ « Ville » manque. Rien n'a été importé. » */
export function csvFileErrorText(error: CsvFileError, { t }: T): string {
  const field = error.field ? `« ${error.field} »` : error.column !== null ? t('settings.import.column', { column: error.column }) : '—'
  switch (error.problem) {
    case 'empty':
      return t('settings.import.error.empty')
    case 'too_large':
      return t('settings.import.error.too_large')
    default:
      return t(AT_LINE[error.problem], { line: error.line, field })
  }
}

const AT_LINE = {
  quote_not_closed: 'settings.import.error.quote_not_closed',
  row_too_short: 'settings.import.error.row_too_short',
  row_too_long: 'settings.import.error.row_too_long',
  malformed: 'settings.import.error.malformed',
} as const satisfies { readonly [P in Exclude<CsvFileProblem, 'empty' | 'too_large'>]: string }

export function tableSummaryText(table: CsvTable, { t }: T): string {
  const delimiter: PlainKey = table.delimiter === '\t' ? 'settings.import.delimiter.tab' : `settings.import.delimiter.${table.delimiter}`
  const encoding: PlainKey = `settings.import.encoding.${table.encoding}`
  return t('settings.import.read', { rows: table.rows.length, encoding: t(encoding), delimiter: t(delimiter) })
}

/** One line of the dry run: what will happen to this row, and why. */
export function plannedRowText(row: PlannedRow, translator: T): string {
  const { t } = translator
  const name = row.name || t('settings.import.row.unnamed')
  const at = { line: row.line, name }
  switch (row.kind) {
    case 'create':
      return row.warnings.length === 0
        ? t('settings.import.row.create', at)
        : t('settings.import.row.warning', { ...at, warning: t('settings.import.row.nirMismatch', { what: nirMismatchWhat(row.warnings, translator) }) })
    case 'invalid': {
      const reasons = row.issues.map((i) => t('settings.import.row.reason', { field: targetLabel(i.field, translator), message: issueText(i.issue, translator) }))
      return t('settings.import.row.invalid', { ...at, reasons: reasons.join(' ') })
    }
    case 'existing':
      return t('settings.import.row.existing', { ...at, patient: patientDisplayName(row.patient) })
    case 'repeated':
      return t('settings.import.row.repeated', { ...at, first: row.firstLine })
  }
}

const KEPT = {
  edited: 'settings.import.undo.kept.edited',
  appointments: 'settings.import.undo.kept.appointments',
  merged: 'settings.import.undo.kept.merged',
} as const satisfies { readonly [R in KeptRecord['reason']]: string }

type Dates = Pick<Translator, 't' | 'dayHeading' | 'startOf'>

/** A record the undo keeps, named: a patient by name, an appointment by its day, time and patient or title. */
export function keptText(kept: KeptRecord, translator: Dates): string {
  const { t } = translator
  const name =
    kept.kind === 'appointment' ? `${translator.dayHeading(kept.start.slice(0, 10), { withYear: true })}, ${translator.startOf(kept.start)} — ${kept.name}` : kept.name
  return t(KEPT[kept.reason], { name: kept.kind === 'series' ? t('settings.import.undo.series', { name }) : name })
}

/** « 3 patients, 12 rendez-vous, 1 série » — the kinds of record with at least one. */
function recordCounts(counts: { patients: number; appointments: number; series: number; absences: number }, { plural }: Pick<Translator, 'plural'>): string {
  return (['patients', 'appointments', 'series', 'absences'] as const)
    .filter((kind) => counts[kind] > 0)
    .map((kind) => plural(`settings.import.count.${kind}`, counts[kind]))
    .join(', ')
}

/** What the undo will delete (`done` false) or deleted: a patients-only import says it as the CSV screen always did. */
export function undoPlanText(plan: UndoPlan, done: boolean, translator: Pick<Translator, 't' | 'plural'>): string {
  const { remove } = plan
  if (plan.removeCount === 0) return translator.t('settings.import.undo.nothing')
  if (remove.patients.length === plan.removeCount) return translator.plural(done ? 'settings.import.undo.done' : 'settings.import.undo.plan', plan.removeCount)
  const what = recordCounts(
    { patients: remove.patients.length, appointments: remove.appointments.length, series: remove.series.length, absences: remove.absences.length },
    translator,
  )
  return translator.t(done ? 'settings.import.undo.doneRecords' : 'settings.import.undo.planRecords', { what })
}

/** One line of « Imports précédents »: file, date, and what the import created. */
export function batchText(batch: ImportBatch, date: string, translator: Pick<Translator, 't' | 'plural'>): string {
  if (batch.source === 'patients-csv') return translator.plural('settings.import.history.item', batch.patients.length, { file: batch.fileName, date })
  const what = recordCounts(
    { patients: batch.patients.length, appointments: batch.appointments.length, series: batch.series.length, absences: batch.absences.length },
    translator,
  )
  return translator.t('settings.import.history.itemRecords', { file: batch.fileName, date, what: what || translator.t('settings.import.history.nothing') })
}
