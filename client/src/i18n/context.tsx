import { createContext, useContext, useMemo } from 'react'
import type { ReactNode } from 'react'
import { DEFAULT_LANGUAGE } from './language'
import type { Language } from './language'
import { createTranslator, DEFAULT_TIME_ZONE } from './translator'
import type { Translator } from './translator'

const TranslatorContext = createContext<Translator>(createTranslator(DEFAULT_LANGUAGE))

interface LanguageSetting {
  readonly language: Language
  readonly setLanguage: (language: Language) => void
}

const LanguageSettingContext = createContext<LanguageSetting | null>(null)

/**
 * Provides the translator. Nest a second provider with the practice's time zone once it is known;
 * the language comes from the device setting above it.
 */
export function I18nProvider(props: {
  language: Language
  timeZone?: string | undefined
  children: ReactNode
}) {
  const { language, timeZone = DEFAULT_TIME_ZONE, children } = props
  const translator = useMemo(() => createTranslator(language, timeZone), [language, timeZone])
  return <TranslatorContext value={translator}>{children}</TranslatorContext>
}

export function LanguageSettingProvider(props: LanguageSetting & { children: ReactNode }) {
  const { language, setLanguage, children } = props
  const value = useMemo(() => ({ language, setLanguage }), [language, setLanguage])
  return (
    <LanguageSettingContext value={value}>
      <I18nProvider language={language}>{children}</I18nProvider>
    </LanguageSettingContext>
  )
}

/** The translator of the nearest provider: `const { t } = useT()`. */
export function useT(): Translator {
  return useContext(TranslatorContext)
}

export function useLanguageSetting(): LanguageSetting {
  const setting = useContext(LanguageSettingContext)
  if (!setting) throw new Error('useLanguageSetting() needs a <LanguageSettingProvider> above it')
  return setting
}
