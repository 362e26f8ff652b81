import type { NirMismatch } from '../../../../shared/src/model'
import type { PlainKey, Translator } from '../../i18n'

const PARTS: { readonly [M in NirMismatch]: PlainKey } = {
  sex: 'patients.nirMismatch.sex',
  birth_year: 'patients.nirMismatch.birthYear',
  birth_month: 'patients.nirMismatch.birthMonth',
}

/**
 * « Le NIR ne correspond pas au sexe et à l'année de naissance saisis : … », or null when it
 * agrees. A warning, not an error: the NIR may be right and the other field wrong, or special.
 */
export function nirWarningText(mismatches: readonly NirMismatch[], translator: Pick<Translator, 't'>): string | null {
  if (mismatches.length === 0) return null
  return translator.t('patients.nirMismatch', { what: nirMismatchWhat(mismatches, translator) })
}

/** « au sexe et à l'année de naissance »: what a NIR disagrees with (at least one mismatch). */
export function nirMismatchWhat(mismatches: readonly NirMismatch[], { t }: Pick<Translator, 't'>): string {
  const parts = mismatches.map((m) => t(PARTS[m]))
  return parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} ${t('patients.nirMismatch.and')} ${parts[parts.length - 1]!}`
}
