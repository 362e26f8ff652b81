import { AttachmentTooLargeError, AttachmentUnavailableError, RelayFailure } from '../../../sync/errors'
import type { Translator } from '../../../i18n'

/** '812 o', '12 ko', '3,4 Mo': sizes as a French reader expects them (1 ko = 1000 o). */
export function formatSize(bytes: number, { t, locale }: Pick<Translator, 't' | 'locale'>): string {
  if (bytes < 1000) return t('file.size.bytes', { size: String(bytes) })
  if (bytes < 1_000_000) return t('file.size.kb', { size: String(Math.round(bytes / 1000)) })
  const mb = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(bytes / 1_000_000)
  return t('file.size.mb', { size: mb })
}

/** The attachment could not be fetched for want of a network (it may open once online). */
export function isOfflineFailure(error: unknown): boolean {
  return error instanceof AttachmentUnavailableError && error.failure === RelayFailure.Unreachable
}

/** One sentence for a failure to add or open an attachment. */
export function describeAttachmentError(error: unknown, { t }: Pick<Translator, 't'>): string {
  if (isOfflineFailure(error)) return t('file.attachment.unavailable')
  if (error instanceof AttachmentUnavailableError && error.failure === RelayFailure.NotFound) return t('file.attachment.notYet')
  if (error instanceof AttachmentTooLargeError) return t('file.attachment.tooLarge')
  return t('file.attachment.error', { message: error instanceof Error ? error.message : String(error) })
}
