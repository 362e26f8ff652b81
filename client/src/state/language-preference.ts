import { DEFAULT_LANGUAGE, isLanguage } from '../i18n'
import type { Language } from '../i18n'

/**
 * The interface language is a choice of the person holding this device, not of the practice: it
 * is kept in the browser's localStorage, and defaults to French.
 */
const KEY = 'tournee.language'

type PreferenceStorage = Pick<Storage, 'getItem' | 'setItem'>

export function readLanguage(storage: PreferenceStorage | null): Language {
  const stored = storage?.getItem(KEY)
  return isLanguage(stored) ? stored : DEFAULT_LANGUAGE
}

export function writeLanguage(storage: PreferenceStorage | null, language: Language): void {
  try {
    storage?.setItem(KEY, language)
  } catch (error) {
    // Private browsing or a full quota: the choice holds for this session only, which is harmless.
    console.warn('Could not save the language preference', error)
  }
}
