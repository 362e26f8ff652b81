import { en } from './en'
import { fr } from './fr'
import type { Dictionary } from './dictionary'

export const Language = { French: 'fr', English: 'en' } as const
export type Language = (typeof Language)[keyof typeof Language]

export const DEFAULT_LANGUAGE: Language = Language.French
export const LANGUAGES: readonly Language[] = [Language.French, Language.English]

/** BCP 47 locale for Intl: French of France (weeks start on Monday), British English (likewise). */
export const LOCALES: { readonly [L in Language]: string } = { fr: 'fr-FR', en: 'en-GB' }

export const DICTIONARIES: { readonly [L in Language]: Dictionary } = { fr, en }

export function isLanguage(value: unknown): value is Language {
  return value === Language.French || value === Language.English
}
