/**
 * The sync layer's error vocabulary: every reason a relay, a device's storage or the sync layer
 * may give a view, and the named errors that carry them. A pure module (no IndexedDB, no socket),
 * so a view imports an error class without pulling a database in.
 *
 *   RefusalReason   why the relay refuses this device for good (until someone acts): the sync
 *                   state shows it, and a socket stops retrying
 *   RelayFailure    every outcome of a relay call that is not success: the refusals, and the
 *                   transient or request-specific ones (unreachable, too large, not found...)
 *   RelayError      a failed relay call (HTTP or socket), with its RelayFailure and status
 */

export const RefusalReason = {
  /** Credential unknown or revoked. */
  Unauthorized: 'unauthorized',
  /** The relay does not know this space (wrong relay, or the space was deleted). */
  SpaceNotFound: 'space-not-found',
  /** This app's origin is not allowed by the relay. */
  Forbidden: 'forbidden',
  /** The relay speaks another protocol version: update the app. */
  ProtocolMismatch: 'protocol-mismatch',
  /**
   * The practice is at one of its limits on the relay (close code 4507): no more rooms (agenda
   * months, file shards), or no more stored bytes. Its operator must act.
   */
  TooManyRooms: 'too-many-rooms',
  /** The practice's data is in a newer format than this app knows (space manifest): update the app. */
  FormatTooNew: 'format-too-new',
  /**
   * An administrator revoked this device from the practice's device registry (close code 4410, or
   * a 401 naming `revoked`): the device erases its copy of the practice and says why.
   */
  Revoked: 'revoked',
  /**
   * This device was a locum's, and the end date its administrator set has passed (close code
   * 4411, or a 401 naming `ended`): like a revoked device, it erases its copy of the practice and
   * says why (app/lock/device-session.ts).
   */
  Ended: 'ended',
  /**
   * This device's role is now secretary and the room is clinical (close code 4403, the relay's
   * role refusal): « réservé aux praticiens », not a fault; the room is not asked for again, and
   * the device learns its role from the verified registry.
   */
  RoleForbidden: 'role-forbidden',
} as const
export type RefusalReason = (typeof RefusalReason)[keyof typeof RefusalReason]

export const RelayFailure = {
  ...RefusalReason,
  /** The relay requires the operator's enrolment secret to create a space. */
  EnrolmentRequired: 'enrolment-required',
  /** No answer: no network, wrong address, or the relay is down. Try again later. */
  Unreachable: 'unreachable',
  /** Another space already uses this id (practically impossible with random ids). */
  Conflict: 'conflict',
  /** Larger than the relay accepts. */
  TooLarge: 'too-large',
  /** The practice holds as many attachments (or attachment bytes) as the relay allows (507). */
  SpaceFull: 'space-full',
  /** The relay holds nothing under that name or hash (yet: its uploader may still be offline). */
  NotFound: 'not-found',
  /** Any other answer (a malformed request, a relay error, an unreadable answer). */
  Rejected: 'rejected',
} as const
export type RelayFailure = (typeof RelayFailure)[keyof typeof RelayFailure]

export class RelayError extends Error {
  override name = 'RelayError'
  constructor(
    readonly reason: RelayFailure,
    message: string,
    /** The HTTP status, or null when there was no answer. */
    readonly status: number | null = null,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

/** The file cannot be shown: not on this device, and the relay cannot give it now. */
export class AttachmentUnavailableError extends Error {
  override name = 'AttachmentUnavailableError'
  constructor(
    readonly failure: RelayFailure,
    options?: ErrorOptions,
  ) {
    super(
      failure === RelayFailure.Unreachable
        ? 'This attachment is not on this device and the relay cannot be reached: open it again once online'
        : `This attachment cannot be fetched (${failure})`,
      options,
    )
  }
}

export class AttachmentTooLargeError extends Error {
  override name = 'AttachmentTooLargeError'
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`A file is at most ${limit} bytes; this one has ${size}`)
  }
}

/** This device's own storage (IndexedDB) refused a read or a write. */
/** A key grant this device cannot make or send (not an administrator, an epoch's keys not held, the relay refusing): key-grants-sync.ts. */
export class KeyGrantSendError extends Error {
  override name = 'KeyGrantSendError'
}

export class DeviceStorageError extends Error {
  override name = 'DeviceStorageError'
}

/** What was typed is not a relay address. */
export class RelayUrlError extends Error {
  override name = 'RelayUrlError'
}
