import { fr } from './fr'
import type { Message, ParamValue, PlaceholdersOf, PluralForms } from './messages'

type French = typeof fr

/** Every language has exactly the keys of `fr`, with a plural where French has one. */
export type Dictionary = { readonly [K in keyof French]: French[K] extends string ? string : PluralForms }

export type MessageKey = { [K in keyof French]: French[K] extends string ? K : never }[keyof French]
export type PluralKey = { [K in keyof French]: French[K] extends PluralForms ? K : never }[keyof French]

/** Placeholders of a key, as written in French (`count` of a plural is supplied by `plural()`). */
export type ParamsOf<K extends keyof French> = French[K] extends string
  ? PlaceholdersOf<French[K]>
  : French[K] extends PluralForms
    ? Exclude<PlaceholdersOf<French[K]['one']> | PlaceholdersOf<French[K]['other']>, 'count'>
    : never

/** Keys of messages without placeholders: what a code can be mapped to. */
export type PlainKey = { [K in MessageKey]: [ParamsOf<K>] extends [never] ? K : never }[MessageKey]

/** `t('a')` for a message without placeholders, `t('b', { name })` when it has some. */
export type ArgsOf<K extends keyof French> = [ParamsOf<K>] extends [never]
  ? []
  : [params: { readonly [P in ParamsOf<K>]: ParamValue }]

/**
 * Replaces each `{name}` with its parameter. A placeholder without a parameter stays visible as
 * `{name}`, so a missing value shows up on screen instead of an empty hole.
 */
export function interpolate(template: string, params: Readonly<Record<string, ParamValue>> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name]
    return value === undefined ? whole : String(value)
  })
}

export function placeholders(message: Message): string[] {
  const texts = typeof message === 'string' ? [message] : [message.one, message.other]
  const names = new Set<string>()
  for (const text of texts) for (const match of text.matchAll(/\{(\w+)\}/g)) names.add(match[1] ?? '')
  return [...names].sort()
}
