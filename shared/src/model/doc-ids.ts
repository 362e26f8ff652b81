/**
 * Names of the docs of a space. The name is what the sync layer uses as the Y.Doc guid and the
 * relay room's doc key:
 *
 *   directory            the practice, practitioners, sites, kinds and the patient index
 *   manifest             the space's format and creation (shared/src/space/manifest.ts)
 *   agenda/2026-11       the appointments whose local start date falls in November 2026
 *   patient/<recordId>   one patient's clinical file
 *   repair               in every room: requests for entries a device could not decrypt
 *                        (shared/src/envelope/entry-repair.ts)
 */
import { isRecordId } from './ids'

export const DIRECTORY_DOC_ID = 'directory'
export const MANIFEST_DOC_ID = 'manifest'
export const REPAIR_DOC_ID = 'repair'

export type DocRef =
  | { readonly kind: 'directory' }
  | { readonly kind: 'manifest' }
  | { readonly kind: 'agenda'; readonly month: string }
  | { readonly kind: 'patient'; readonly patientId: string }

export class DocIdError extends Error {
  override name = 'DocIdError'
}

const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/

export function isMonth(value: unknown): value is string {
  return typeof value === 'string' && MONTH_PATTERN.test(value)
}

export function agendaDocId(month: string): string {
  if (!isMonth(month)) throw new DocIdError(`Agenda month must be 'YYYY-MM', got '${month}'`)
  return `agenda/${month}`
}

export function patientDocId(patientId: string): string {
  if (!isRecordId(patientId)) throw new DocIdError(`Not a patient id: '${patientId}'`)
  return `patient/${patientId}`
}

export function parseDocId(docId: string): DocRef {
  if (docId === DIRECTORY_DOC_ID) return { kind: 'directory' }
  if (docId === MANIFEST_DOC_ID) return { kind: 'manifest' }
  const slash = docId.indexOf('/')
  const prefix = slash < 0 ? docId : docId.slice(0, slash)
  const rest = slash < 0 ? '' : docId.slice(slash + 1)
  if (prefix === 'agenda' && isMonth(rest)) return { kind: 'agenda', month: rest }
  if (prefix === 'patient' && isRecordId(rest)) return { kind: 'patient', patientId: rest }
  throw new DocIdError(
    `Unknown doc id '${docId}': expected 'directory', 'manifest', 'agenda/YYYY-MM' or 'patient/<id>'`,
  )
}
