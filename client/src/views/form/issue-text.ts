import { issueKey } from '../../i18n'
import type { Translator } from '../../i18n'
import type { FieldIssue } from './field-errors'

/**
 * A field issue in the user's words, with the limit it hit when the model said which:
 * « Texte trop long : 200 caractères au plus. » rather than « Texte trop long. ».
 */
export function issueText(issue: FieldIssue, { t }: Pick<Translator, 't'>): string {
  const { code, limit } = issue
  if (limit !== undefined) {
    switch (code) {
      case 'too_long':
        return t('issue.too_long.limit', { limit })
      case 'too_short':
        return t('issue.too_short.limit', { limit })
      case 'too_many':
        return t('issue.too_many.limit', { limit })
      case 'out_of_range':
        return t('issue.out_of_range.limit', { limit })
      case 'birth_date_too_old':
        return t('issue.birth_date_too_old.limit', { limit })
    }
  }
  return t(issueKey(code))
}
