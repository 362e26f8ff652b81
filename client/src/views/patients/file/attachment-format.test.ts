import { describe, expect, it } from 'vitest'
import { createTranslator } from '../../../i18n'
import { AttachmentTooLargeError, AttachmentUnavailableError, RelayFailure } from '../../../sync/errors'
import { describeAttachmentError, formatSize } from './attachment-format'

const fr = createTranslator('fr')

describe('formatSize', () => {
  it.each([
    [812, '812 o'],
    [12_345, '12 ko'],
    [3_400_000, '3,4 Mo'],
    [20_000_000, '20 Mo'],
  ])('%d bytes read %s in French', (bytes, text) => {
    expect(formatSize(bytes, fr)).toBe(text)
  })
})

describe('describeAttachmentError', () => {
  it('says an attachment is unavailable offline when the relay cannot be reached', () => {
    expect(describeAttachmentError(new AttachmentUnavailableError(RelayFailure.Unreachable), fr)).toBe('Pièce jointe indisponible hors ligne')
    expect(describeAttachmentError(new AttachmentTooLargeError(30_000_000, 20 * 1024 * 1024), fr)).toBe('Fichier trop volumineux : 20 Mo au plus.')
    expect(describeAttachmentError(new AttachmentUnavailableError(RelayFailure.NotFound), fr)).toMatch(/pas encore envoyée/)
    expect(describeAttachmentError(new AttachmentUnavailableError(RelayFailure.Unauthorized), fr)).toMatch(/^Impossible d'ouvrir/)
  })
})
