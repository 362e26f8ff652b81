/** The i18n layer: every string the user sees goes through `useT()`. */
export { I18nProvider, LanguageSettingProvider, useLanguageSetting, useT } from './context'
export { createTranslator, DEFAULT_TIME_ZONE } from './translator'
export type { Translator } from './translator'
export { DEFAULT_LANGUAGE, isLanguage, Language, LANGUAGES } from './language'
export type { MessageKey, PlainKey, PluralKey } from './dictionary'
export { cameraFailureKey, issueKey, pairingFailureKey, pairingQrFailureKey, professionKey, refusalKey, relayErrorKey } from './keys'
export type { RelayErrorReason } from './keys'
