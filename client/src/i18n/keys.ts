/**
 * Message keys computed from codes of other layers (model issue codes, professions, relay
 * refusals). The template literal types make the compiler check that every code has a message.
 */
import type { IssueCode, Profession } from '../../../shared/src/model'
import type { RefusalReason, RelayFailure } from '../sync/errors'
import type { PairingFailure } from '../sync/device/pairing-errors'
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

export function refusalKey(reason: RefusalReason): PlainKey {
  const key: `sync.refusal.${RefusalReason}` = `sync.refusal.${reason}`
  return key
}
