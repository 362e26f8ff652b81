/** The practitioner form boundary, for adding and editing a practitioner in Réglages. */
import { PROFESSIONS, ValidationError, validatePractitionerInput } from '../../../../shared/src/model'
import type { Practitioner, PractitionerFields, Profession } from '../../../../shared/src/model'
import { fieldsByPath, placeIssueDetails } from '../form/field-errors'
import type { FieldIssues } from '../form/field-errors'

export const PRACTITIONER_FIELDS = ['displayName', 'profession', 'rpps', 'colour'] as const
export type PractitionerField = (typeof PRACTITIONER_FIELDS)[number]

/** Where the model's issues about a practitioner go in the form. */
export const practitionerFieldOf = fieldsByPath<PractitionerField>(PRACTITIONER_FIELDS)

type Checked = { ok: true; fields: PractitionerFields } | { ok: false; errors: FieldIssues<PractitionerField> }

function isProfession(value: string | undefined): value is Profession {
  return (PROFESSIONS as readonly string[]).includes(value ?? '')
}

export function checkPractitionerForm(values: Readonly<Record<string, string>>): Checked {
  const input = {
    displayName: values.displayName,
    profession: isProfession(values.profession) ? values.profession : values.profession || undefined,
    rpps: values.rpps,
    colour: values.colour,
  }
  try {
    return { ok: true, fields: validatePractitionerInput(input) }
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error
    return { ok: false, errors: placeIssueDetails(error.issues, practitionerFieldOf).fields }
  }
}

/** A stored practitioner as the form starts from it. */
export function practitionerFormValues(p: Practitioner): Record<PractitionerField, string> {
  return { displayName: p.displayName, profession: p.profession, rpps: p.rpps ?? '', colour: p.colour }
}
