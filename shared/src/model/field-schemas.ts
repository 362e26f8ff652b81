/**
 * Field schemas shared by the input and record schemas. A failing check's error is the issue code
 * itself (see validation-error.ts); `runSchema` in validation.ts turns zod's issues into ours.
 */
import { z } from 'zod'
import { isLocalDate, isLocalDateTime, isLocalTime, isValidTimeZone } from './dates'
import { isRecordId } from './ids'
import { checkNir, normalizeNir } from './nir'
import { isPhone, normalizePhone } from './phone'
import { isRpps, normalizeRpps } from './rpps'

export const LIMITS = {
  name: 100,
  line: 200,
  label: 80,
  shortText: 1000,
  longText: 20_000,
} as const

/** Required free text: trimmed, non-empty. */
export const text = (max: number) => z.string().trim().min(1).max(max)

export const recordId = z.string().refine(isRecordId, { error: 'invalid_id' })

export const localDate = z.string().refine(isLocalDate, { error: 'invalid_date' })

export const localTime = z.string().refine(isLocalTime, { error: 'invalid_time' })

/** Reports the date part and the time part separately so the form can point at the right input. */
export const localDateTime = z.string().superRefine((value, ctx) => {
  if (isLocalDateTime(value)) return
  const [date = ''] = String(value).split('T')
  ctx.addIssue({ code: 'custom', message: isLocalDate(date) ? 'invalid_time' : 'invalid_date' })
})

export const timeZone = z.string().refine(isValidTimeZone, { error: 'invalid_time_zone' })

/** The shape of an IANA zone name ('Europe/Paris', 'UTC', 'America/Argentina/Buenos_Aires'). */
export const storedTimeZone = z.string().regex(/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/, { error: 'invalid_time_zone' })

export const colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, { error: 'invalid_colour' }).transform((s) => s.toLowerCase())

export const email = z.string().trim().max(LIMITS.line).pipe(z.email({ error: 'invalid_email' }))

export const phone = z
  .string()
  .refine(isPhone, { error: 'invalid_phone' })
  .transform((s) => normalizePhone(s) ?? s)

export const postalCode = z.string().trim().regex(/^[0-9]{5}$/, { error: 'invalid_postal_code' })

export const nir = z
  .string()
  .superRefine((value, ctx) => {
    const check = checkNir(value)
    if (check !== 'ok') ctx.addIssue({ code: 'custom', message: check })
  })
  .transform(normalizeNir)

export const rpps = z.string().refine(isRpps, { error: 'invalid_rpps' }).transform(normalizeRpps)

export const int = (min: number, max: number) => z.number().int().min(min).max(max)

export const address = z.object({
  line1: text(LIMITS.line),
  line2: text(LIMITS.line).optional(),
  postalCode,
  city: text(LIMITS.name),
  accessNotes: text(LIMITS.shortText).optional(),
})

/** The médecin traitant or prescriber who sent the patient: a name, and an RPPS number when known. */
export const referringDoctor = z.object({
  name: text(LIMITS.name),
  rpps: rpps.optional(),
})

/** Free labels ('diabète', 'domicile'): trimmed, at most 20 of 40 characters, no duplicates kept. */
export const tags = z
  .array(text(40))
  .max(20)
  .transform((list) => [...new Set(list)])

export type Address = z.output<typeof address>
export type AddressInput = z.input<typeof address>

/** Addresses read back from another device: the shape the views rely on, no format opinions. */
export const storedAddress = z.object({
  line1: z.string(),
  line2: z.string().optional(),
  postalCode: z.string(),
  city: z.string(),
  accessNotes: z.string().optional(),
})

export const storedReferringDoctor = z.object({ name: z.string(), rpps: z.string().optional() })

export const actor = z.object({ memberId: z.string().min(1), deviceId: z.string().min(1) })

/** Stamps every record carries; see docs/data-model.md. */
export const recordMeta = {
  createdAt: z.number(),
  createdBy: actor,
  updatedAt: z.number(),
  updatedBy: actor,
  deletedAt: z.number().optional(),
  deletedBy: actor.optional(),
}
