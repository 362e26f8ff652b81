import type { IssueCode, ValidationIssue } from '../../../../shared/src/model'

/** The first issue of each field of a form, by the form's own field names. */
export type FieldErrors<F extends string> = Partial<Record<F, IssueCode>>

/** What a field shows of an issue: why, and the limit it hit (« 200 caractères au plus »). */
export type FieldIssue = { readonly code: IssueCode; readonly limit?: number | undefined }

/** Like FieldErrors, with each issue's limit: what `issueText` turns into words. */
export type FieldIssues<F extends string> = Partial<Record<F, FieldIssue>>

/**
 * Places the model's validation issues on the form's fields, limits kept. `fieldOf` maps an issue
 * path ('address.postalCode', 'phones.0', 'firstPractitioner.displayName') to the field that shows
 * it; issues it cannot place are returned apart, for the form's summary.
 */
export function placeIssueDetails<F extends string>(
  issues: readonly ValidationIssue[],
  fieldOf: (path: string) => F | null,
): { fields: FieldIssues<F>; unplaced: ValidationIssue[] } {
  const fields: FieldIssues<F> = {}
  const unplaced: ValidationIssue[] = []
  for (const issue of issues) {
    const field = fieldOf(issue.path)
    if (field === null) unplaced.push(issue)
    else if (fields[field] === undefined) fields[field] = issue.limit === undefined ? { code: issue.code } : { code: issue.code, limit: issue.limit }
  }
  return { fields, unplaced }
}

/** The issues shown, less `field`'s (the same object when it had none, so React keeps its render). */
export function withoutField<F extends string>(issues: FieldIssues<F>, field: F): FieldIssues<F> {
  if (issues[field] === undefined) return issues
  const rest = { ...issues }
  delete rest[field]
  return rest
}

/** As placeIssueDetails, codes only: for forms that show no limits yet. */
export function placeIssues<F extends string>(
  issues: readonly ValidationIssue[],
  fieldOf: (path: string) => F | null,
): { fields: FieldErrors<F>; unplaced: ValidationIssue[] } {
  const { fields: details, unplaced } = placeIssueDetails(issues, fieldOf)
  const fields: FieldErrors<F> = {}
  for (const [field, issue] of Object.entries(details) as [F, FieldIssue][]) fields[field] = issue.code
  return { fields, unplaced }
}

/** A `fieldOf` for forms whose field names are the paths, with a few aliases ('phones.0' → 'phone'). */
export function fieldsByPath<F extends string>(
  fields: readonly F[],
  aliases: Readonly<Record<string, F>> = {},
): (path: string) => F | null {
  return (path) => {
    // 'phones.0' tries 'phones.0' then 'phones'; 'address.city' tries itself then 'address'.
    let prefix = path
    while (prefix !== '') {
      const field = aliases[prefix] ?? fields.find((f) => f === prefix)
      if (field !== undefined) return field
      const dot = prefix.lastIndexOf('.')
      if (dot < 0) return null
      prefix = prefix.slice(0, dot)
    }
    return null
  }
}

/** Form values as the browser gives them: every field a string ('' when left empty). */
export function formValues(form: HTMLFormElement): Record<string, string> {
  const values: Record<string, string> = {}
  for (const [name, value] of new FormData(form)) {
    if (typeof value === 'string') values[name] = value
  }
  return values
}
