/**
 * Why a pairing did not complete, for the screens (one message each, in French and English).
 * A pure module: a view imports it without pulling WebCrypto calls or a relay client in.
 */
export const PairingFailure = {
  /** The code is not open on the relay (mistyped, expired, or already used). */
  UnknownCode: 'unknown-code',
  /** The pairing outlived its ten minutes before it was accepted. */
  Expired: 'expired',
  /** The administrator's device refused it (the codes differed, or nobody expected this device). */
  Refused: 'refused',
  /** What arrived does not open with the keys both screens confirmed: altered on the way. */
  Tampered: 'tampered',
  /**
   * The relay answered the claim with joining keys other than those the scanned QR code carries:
   * someone between the two devices put its own keys in. Nothing was sealed.
   */
  KeysMismatch: 'keys-mismatch',
  /** Another administrator's device is accepting this pairing already. */
  Taken: 'taken',
  /** The relay has too many pairings open, or this address asked too often. */
  Busy: 'busy',
  /** The person gave up on this device. */
  Cancelled: 'cancelled',
} as const
export type PairingFailure = (typeof PairingFailure)[keyof typeof PairingFailure]

export class PairingError extends Error {
  override name = 'PairingError'
  constructor(
    readonly failure: PairingFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}
