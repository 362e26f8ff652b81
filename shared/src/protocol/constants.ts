/**
 * Wire protocol between a Tournée device and the relay.
 *
 * Transport: one WebSocket per room of a space, `wss://<relay>/v1/sync/<spaceId>/<roomId>`, roomId a
 * blinded room name (22 base64url chars, shared/src/space/room-keys.ts), the main room's like the
 * others'. Every room of a space takes the same credential.
 * The upgrade request offers two subprotocols:
 *
 *   Sec-WebSocket-Protocol: tournee.1, tournee-auth.<base64url credential>
 *
 * Browsers cannot set headers on a WebSocket, and a query string ends up in access logs, so the
 * credential rides in a subprotocol token. The relay answers with `tournee.1` only (never echoes
 * the credential). A relay speaking another protocol version picks none, and the upgrade fails
 * with PROTOCOL_VERSION_MISMATCH (HTTP 426 before the upgrade).
 *
 * Frames are binary, y-websocket framing (lib0 varuint message type, then payload):
 *
 *   [0 sync]      [varuint syncType][varUint8Array payload]   y-protocols/sync on the envelope doc
 *   [1 awareness] [varUint8Array awarenessUpdate]             y-protocols/awareness: the relay drops it
 *   [3 query awareness]                                       y-websocket's own: the relay drops it
 *   [100 ack]     [varUint8Array stateVector]                 relay → device only
 *   [101 keep-alive]                                          relay → device only
 *
 * ACK: after the relay has made an update from this connection durable (committed to storage), it
 * sends the room's state vector. A device counts as "not yet on the relay" every envelope entry
 * whose (client, clock) the acknowledged state vector does not cover.
 *
 * KEEP-ALIVE: the relay sends something on every open socket at least every KEEP_ALIVE_MS, a
 * keep-alive frame when it had nothing else to send. y-websocket closes a socket that received
 * nothing for 30 s, and a device that announces no presence (Tournée's, awareness being
 * plaintext) would otherwise hear nothing on a quiet room: every idle device flipped to « Hors
 * ligne » and reconnected every ~33 s. The relay sends rather than answers because a hidden tab's
 * timers are throttled to one a minute: a device's own pings would come too late for its watchdog,
 * while frames from the relay are delivered at once. The relay also pings at the WebSocket level
 * (browsers answer by themselves) and cuts a socket that has not answered for KEEP_ALIVE_MISSES
 * intervals: a tablet that vanished without closing does not hold a connection for ever.
 */

/** Bump when a frame's meaning changes; both sides refuse a mismatch with a reason to act on. */
export const PROTOCOL_VERSION = 1 as const
export const SUBPROTOCOL = `tournee.${PROTOCOL_VERSION}` as const
export const AUTH_SUBPROTOCOL_PREFIX = 'tournee-auth.' as const
/**
 * Offered beside `tournee.1` by a device whose delivery check reads an answer to any step 1 as
 * every sync frame up to its step 2 (client/src/sync/rooms/delivery-check.ts): to such a device
 * the relay frames its answer to a state vector that is not empty too (relay/src/rooms/frames.ts).
 * A device of an older version offers only `tournee.1`, and gets that answer as one step 2 — its
 * check judges that step 2 alone, and would count the entries of earlier frames as missing. A
 * capability, not a new version: the frames are the same, only how they are cut.
 */
export const FRAMED_ANSWERS_SUBPROTOCOL = 'tournee-framed-answers' as const

export const MessageType = {
  Sync: 0,
  Awareness: 1,
  Auth: 2,
  QueryAwareness: 3,
  Ack: 100,
  KeepAlive: 101,
} as const
export type MessageType = (typeof MessageType)[keyof typeof MessageType]

/** The longest the relay stays silent on an open socket (header: KEEP-ALIVE); well under y-websocket's 30 s. */
export const KEEP_ALIVE_MS = 10_000
/** WebSocket pings a device may leave unanswered in a row before the relay cuts its socket. */
export const KEEP_ALIVE_MISSES = 3

/** HTTP paths served by the relay. */
export const Paths = {
  health: '/healthz',
  metrics: '/metrics',
  syncPrefix: '/v1/sync/',
  spaces: '/v1/spaces',
  pairings: '/v1/pairings',
} as const

/** Header carrying the relay-wide enrolment secret when the operator set one. */
export const ENROLMENT_HEADER = 'x-tournee-enrolment'

/**
 * Header carrying a digest's weight (docs/relay.md, "Digests"): on a PUT, the weight the device
 * claims; on a GET or HEAD, the stored one. Encrypted digests bind it in their associated data.
 */
export const DIGEST_WEIGHT_HEADER = 'x-tournee-digest-weight'

/**
 * On a refusal of the digest routes, the `field` of the JSON error body, repeated as a header: a
 * HEAD has no body, and "no digest yet" and "no such space" are both 404.
 */
export const ERROR_FIELD_HEADER = 'x-tournee-error-field'

/**
 * The field a revoked device's 401 names (body and ERROR_FIELD_HEADER): the device, which cannot
 * tell a revocation from a wrong credential otherwise, erases its copy of the practice and says why.
 */
export const REVOKED_FIELD = 'revoked'

/**
 * The field a locum's 401 names once its end of access has passed (issue 19): like a revoked
 * device, the device erases its copy of the practice and says why.
 */
export const ENDED_FIELD = 'ended'

/**
 * Close codes, as data (Hocuspocus' CloseEvents). 4xxx mirror HTTP statuses so logs read alike.
 * Upgrade-time refusals are HTTP statuses (the socket never opens); these close an open socket.
 */
export const CloseCode = {
  Normal: { code: 1000, reason: 'Normal closure' },
  GoingAway: { code: 1001, reason: 'Relay shutting down' },
  MessageTooBig: { code: 1009, reason: 'Frame too large' },
  /**
   * A frame that does not decode, or an update that is not a well-formed change of the envelope
   * (docs/sync-protocol.md, « What the relay accepts »): nothing of it is stored or forwarded.
   */
  BadFrame: { code: 4400, reason: 'Malformed frame' },
  Unauthorized: { code: 4401, reason: 'Unauthorized' },
  Forbidden: { code: 4403, reason: 'Forbidden' },
  /**
   * A secretary's device on a clinical room (relay/src/auth/role-access.ts): the upgrade completes
   * and closes at once, so a browser sees why. Its code is Forbidden's: the device is refused
   * alike, and its own policy never asks for that room (it holds no key of it).
   */
  RoleForbidden: { code: 4403, reason: 'Reserved to practitioners: not for this device’s role' },
  SpaceNotFound: { code: 4404, reason: 'Space not found' },
  /**
   * The registry widened this device's role (a secretary's made praticien or remplaçant, with its
   * key grant: relay/src/app/key-grants.ts): its open sockets close so that it reconnects, and
   * coming back online it reads the registry and takes its grant (client role-change.ts). Not a
   * refusal: the device reconnects at once. Mirrors 205 Reset Content.
   */
  RoleWidened: { code: 4205, reason: 'Role widened: read the device registry again' },
  /**
   * The practice's device registry revoked this device (relay/src/app/devices.ts): its sockets
   * close at once and its credential is refused from then on; the device erases its copy.
   * Mirrors 410 Gone: the upgrade of a revoked device is a 401 naming `revoked`.
   */
  DeviceRevoked: { code: 4410, reason: 'Device revoked' },
  /**
   * A locum's end of access passed while its socket was open (relay/src/auth/space-access.ts): its
   * credential is refused from then on (401 naming `ended`); the device erases its copy. Beside
   * 4410 (its sibling); 411 has nothing to mirror here.
   */
  AccessEnded: { code: 4411, reason: 'Access ended' },
  UpdateTooLarge: { code: 4413, reason: 'Update too large' },
  ProtocolMismatch: { code: 4426, reason: 'Protocol version mismatch: update the app' },
  /** More frames than the rate limit, or more bytes waiting than maxInFlightBytes: reconnect later. */
  RateLimited: { code: 4429, reason: 'Too many messages' },
  StorageFailure: { code: 4500, reason: 'Relay storage failure' },
  /** The space already has as many rooms as the relay allows (maxRoomsPerSpace); mirrors 507. */
  TooManyRooms: { code: 4507, reason: 'Too many rooms for this space' },
  /**
   * The space holds as many envelope bytes as the relay allows (maxSpaceEnvelopeBytes); mirrors
   * 507 too: both are a quota of the space that its relay's operator must raise, which a device
   * shows alike (« limite atteinte »); the relay's log and metrics say which.
   */
  SpaceFull: { code: 4507, reason: 'Space storage quota reached' },
} as const
export type CloseCodeName = keyof typeof CloseCode

/** What the relay accepts; the relay may be configured lower, never the client higher. */
export const DefaultLimits = {
  /** Largest WebSocket frame, bytes. A first sync of a big practice arrives as one step-2 frame. */
  maxFrameBytes: 64 * 1024 * 1024,
  /** Largest Yjs update in one sync message, bytes. */
  maxUpdateBytes: 64 * 1024 * 1024,
  /** Sustained messages per second per connection (token bucket), and its burst. */
  messagesPerSecond: 200,
  messageBurst: 2000,
  /** Largest space-creation body, bytes. */
  maxHttpBodyBytes: 4 * 1024,
  /** Largest attachment (its ciphertext: the file plus 28 bytes), bytes. */
  maxAttachmentBytes: 20 * 1024 * 1024,
  /**
   * Largest digest (its ciphertext), bytes. The directory digest of 20,000 patients is a few MB
   * once gzipped; 32 MiB leaves room for large practices without letting a space fill the disk.
   */
  maxDigestBytes: 32 * 1024 * 1024,
  /**
   * Rooms a space may have, its main room included. A practice uses main, one room per agenda
   * month and 16 file shards (shared/src/space/rooms.ts): 40 years of months are 480 rooms, 497
   * with main and the shards, and a room is admitted (one row, nothing loaded) as soon as a
   * device opens it, so the months a practitioner looks at before the practice began or years
   * ahead count too: 600 covers a practice's working life with that margin, and still stops a
   * client from making the relay allocate rooms without bound.
   */
  maxRoomsPerSpace: 600,
  /**
   * Bytes of envelope rows a space may hold, all its rooms together. A big practice (10
   * practitioners × 10 years: ~550,000 appointments at ~720 bytes, ~400 MB; 20,000 patients'
   * directory and files, ~200 MB) holds ~0.6 GB compacted, up to ~0.8 GB between the relay's
   * compactions (rows up to 1.25× the snapshot): 4 GiB leaves it five times that, or twice the
   * practitioners for twice the years.
   */
  maxSpaceEnvelopeBytes: 4 * 1024 ** 3,
  /**
   * Attachments a space may hold, and their bytes. A big practice scanning ~4,000 prescriptions a
   * year for 10 years at 1–2 MB is 40,000 files and 40–80 GB at most; 250,000 files and 64 GiB keep
   * it clear of the count and near the bytes only with many large photos (raise it then).
   */
  maxSpaceAttachments: 250_000,
  maxSpaceAttachmentBytes: 64 * 1024 ** 3,
  /**
   * Bytes a connection may have sent that the relay has not handled yet, the frame being handled
   * included (frames queue while an update is checked and written). At least maxFrameBytes, so one
   * largest frame always fits; the default adds 32 MiB of live updates behind it. Without it, one
   * socket could queue its whole message burst of 64 MiB frames in the relay's memory.
   */
  maxInFlightBytes: 96 * 1024 * 1024,
} as const
export type Limits = { -readonly [K in keyof typeof DefaultLimits]: number }
