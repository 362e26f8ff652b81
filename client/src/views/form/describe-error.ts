import { LastActivePractitionerError, ValidationError } from '../../../../shared/src/model'
import { DeviceStorageError, KeyGrantSendError, RelayError, RelayUrlError } from '../../sync/errors'
import { PairingError } from '../../sync/device/pairing-errors'
import { PairingQrError } from '../../../../shared/src/devices/pairing-qr'
import { CameraError } from '../pairing/camera-scan'
import { cameraFailureKey, pairingFailureKey, pairingQrFailureKey, relayErrorKey } from '../../i18n'
import type { Translator } from '../../i18n'

/** One sentence, in the user's language, for an error a form's submission ended with. */
export function describeError(error: unknown, { t }: Translator): string {
  if (error instanceof RelayError) return t(relayErrorKey(error.reason))
  if (error instanceof PairingError) return t(pairingFailureKey(error.failure))
  if (error instanceof PairingQrError) return t(pairingQrFailureKey(error.failure))
  if (error instanceof CameraError) return t(cameraFailureKey(error.failure))
  if (error instanceof RelayUrlError) return t('relayError.invalidUrl')
  if (error instanceof ValidationError) return t('form.invalid')
  if (error instanceof LastActivePractitionerError) return t('settings.practitioners.lastActive')
  if (error instanceof KeyGrantSendError) return t('settings.devices.grantFailed', { message: error.message })
  if (error instanceof DeviceStorageError) return t('error.deviceStorage', { message: error.message })
  return t('error.unexpected', { message: error instanceof Error ? error.message : String(error) })
}
