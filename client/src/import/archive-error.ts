/**
 * The one error an archive import throws before it writes anything: it names the file of the
 * archive, the line (1-based, for NDJSON) and the field (a FHIR path such as `name.0.family`, or
 * the model's field such as `birthDate`) so the person can find what is wrong.
 */

export type ArchiveProblem =
  | 'not_a_zip'
  | 'truncated'
  | 'not_tournee'
  | 'newer_format'
  | 'missing_file'
  | 'count_mismatch'
  | 'bad_json'
  | 'bad_field'
  | 'unknown_reference'
  | 'duplicate_id'
  | 'target_not_empty'

export class ArchiveImportError extends Error {
  override name = 'ArchiveImportError'

  constructor(
    readonly problem: ArchiveProblem,
    readonly detail: string,
    readonly where: { readonly file?: string; readonly line?: number; readonly field?: string } = {},
  ) {
    const place = [where.file, where.line === undefined ? undefined : `ligne ${where.line}`, where.field === undefined ? undefined : `champ « ${where.field} »`]
      .filter(Boolean)
      .join(', ')
    super(place ? `${place} : ${detail}` : detail)
  }
}
