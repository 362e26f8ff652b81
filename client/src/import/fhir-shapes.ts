/**
 * The parts of FHIR R4 resources an import of Tournée's archive reads, as zod schemas: a line that
 * does not have them is refused with the path of the field (`participant.0.actor.reference`).
 * Unknown keys are ignored (another version's, or another program's additions).
 */
import { z } from 'zod'
import { recordIdOf } from '../export/fhir-resource'
import { ArchiveImportError } from './archive-error'

export const extensionList = z.array(z.object({ url: z.string() }).catchall(z.unknown())).optional()
export type ExtensionList = z.output<typeof extensionList>

export const fhirId = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/)
export const referenceShape = z.object({ reference: z.string().regex(/^[A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/) })
export const identifierShape = z.object({ system: z.string().optional(), value: z.string() })
export const codingList = z.array(z.object({ system: z.string().optional(), code: z.string().optional() })).optional()
export const addressShape = z.object({
  extension: extensionList,
  line: z.array(z.string()).min(1),
  postalCode: z.string().optional(),
  city: z.string().optional(),
})

/** Parses one resource's shape, or throws the named error with the path of the first bad field. */
export function readShape<T extends z.ZodType>(schema: T, value: unknown, where: { file: string; line: number }): z.output<T> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  const field = issue.path.map(String).join('.') || 'resourceType'
  const detail = issue.code === 'invalid_type' && issue.input === undefined ? 'valeur manquante' : `valeur invalide (${issue.message})`
  throw new ArchiveImportError('bad_field', detail, { ...where, field })
}

/** The value of the extension `url`, if present (`valueKey`: 'valueString', 'valueCode'…). */
export function extensionValue(extensions: ExtensionList, url: string, valueKey: string): unknown {
  return extensions?.find((e) => e.url === url)?.[valueKey]
}

export function extensionValues(extensions: ExtensionList, url: string, valueKey: string): unknown[] {
  return (extensions ?? []).filter((e) => e.url === url).map((e) => e[valueKey])
}

/** 'Patient/abc.def' → { type: 'Patient', id: 'abc_def' } (the record id, fhir-resource.ts). */
export function referenceOf(reference: string): { type: string; id: string } {
  const slash = reference.indexOf('/')
  return { type: reference.slice(0, slash), id: recordIdOf(reference.slice(slash + 1)) }
}

/** The model's address from a FHIR Address (the access notes ride in an extension). */
export function addressOf(address: z.output<typeof addressShape>, accessNotesUrl: string): Record<string, unknown> {
  return {
    line1: address.line[0],
    line2: address.line[1],
    postalCode: address.postalCode ?? '',
    city: address.city ?? '',
    accessNotes: extensionValue(address.extension, accessNotesUrl, 'valueString'),
  }
}
