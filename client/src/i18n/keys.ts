/**
 * Message keys computed from codes of other layers (model issue codes, professions, relay
 * refusals). The template literal types make the compiler check that every code has a message.
 */
import type { IssueCode, Profession } from '../../../shared/src/model'
import type { RefusalReason, RelayFailure } from '../sync/errors'
import type { PairingFailure } from '../sync/device/pairing-errors'
import type { PairingQrFailure } from '../../../shared/src/devices/pairing-qr'
import type { CameraFailure } from '../views/pairing/camera-scan'
import type { PlainKey } from './dictionary'

/** Why the relay refused creating or joining a practice. */
export type RelayErrorReason = RelayFailure

export function issueKey(code: IssueCode): PlainKey {
  const key: `issue.${IssueCode}` = `issue.${code}`
  return key
}

export function professionKey(profession: Profession): PlainKey {
  const key: `profession.${Profession}` = `profession.${profession}`
  return key
}

export function relayErrorKey(reason: RelayErrorReason): PlainKey {
  const key: `relayError.${RelayErrorReason}` = `relayError.${reason}`
  return key
}

/** Why a pairing did not complete (sync/device/pairing-errors.ts). */
export function pairingFailureKey(failure: PairingFailure): PlainKey {
  const key: `pairingFailure.${PairingFailure}` = `pairingFailure.${failure}`
  return key
}

/** Why a scanned QR code is not a pairing this app can claim (shared/src/devices/pairing-qr.ts). */
export function pairingQrFailureKey(failure: PairingQrFailure): PlainKey {
  const key: `pairingQr.${PairingQrFailure}` = `pairingQr.${failure}`
  return key
}

/** Why the camera did not open for a scan (views/pairing/camera-scan.ts). */
export function cameraFailureKey(failure: CameraFailure): PlainKey {
  const key: `camera.${CameraFailure}` = `camera.${failure}`
  return key
}

export function refusalKey(reason: RefusalReason): PlainKey {
  const key: `sync.refusal.${RefusalReason}` = `sync.refusal.${reason}`
  return key
}
