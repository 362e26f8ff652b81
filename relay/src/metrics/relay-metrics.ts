/** The series the relay exposes on /metrics. Label values are fixed reason names, never ids. */
import { MetricsRegistry, type Gauge, type Histogram, type Metric } from './registry'

export type UpgradeRefusalReason =
  | 'path'
  | 'protocol'
  | 'origin'
  | 'unknown_space'
  | 'credential'
  /** The credential of a device the practice's registry revoked (auth/space-access.ts): 401. */
  | 'revoked'
  /** A locum's credential past its end date (auth/space-access.ts): 401 naming `ended`. */
  | 'ended'
  /** A secretary's credential on a clinical room (auth/role-access.ts): closed at once with 4403. */
  | 'role'
  | 'room_limit'
  | 'shutting_down'
  | 'error'
  /** Too many failed credentials from the address (perimeter/perimeter.ts): 429. */
  | 'throttled'
  /** The address already holds its allowance of sync sockets: 429. */
  | 'address_connections'
export type FrameRejectionReason =
  | 'bad_frame'
  | 'too_big'
  | 'update_too_large'
  | 'rate_limited'
  | 'storage_failure'
  // An update that is not a well-formed change of the envelope (rooms/update-check.ts):
  /** A GC or Skip struct (what takes a device's next clocks). */
  | 'not_an_item'
  /** An item outside the root `entries` array: a map key, inside another type, another root. */
  | 'outside_entries'
  /** Content other than entries `{d, c}` of the documented sizes. */
  | 'not_an_entry'
  /** Deletes live entries without a new entry of their doc in the same update (a wipe). */
  | 'uncovered_deletion'
  /** Clocks past the relay's bound, delete ranges unsorted or overlapping, structs not contiguous. */
  | 'malformed_update'
  /** Refers to, or deletes, structs the room does not hold. */
  | 'dangling_reference'
  /** The space is at its stored-bytes quota. */
  | 'space_full'
  // Entry signatures, in a space with a device registry (rooms/entry-signatures.ts):
  /** An entry without a signature. */
  | 'unsigned_entry'
  /** Signed by a device the registry does not know. */
  | 'unknown_signer'
  /** A signature that does not verify at the entry's position. */
  | 'bad_signature'
  /** The connection sent more bytes than the relay holds for it while it works. */
  | 'in_flight'

/** What the check made of an update that was not refused (rooms/update-check.ts). */
export type UpdateVerdictLabel = 'accepted' | 'trimmed' | 'nothing_new' | 'deferred' | 'dropped'

export type AttachmentRefusalReason = 'bad_request' | 'unknown_space' | 'credential' | 'revoked' | 'ended' | 'role' | 'too_large' | 'hash_mismatch' | 'quota'
export type DigestRefusalReason =
  | 'bad_request'
  | 'unknown_space'
  | 'credential'
  | 'revoked'
  | 'ended'
  | 'too_large'
  | 'precondition_required'
  | 'precondition_failed'

/** Where a credential was refused: a space route's Authorization, a sync upgrade, /metrics' token. */
export type CredentialSurface = 'http' | 'websocket' | 'metrics'

export interface RelayMetrics {
  registry: MetricsRegistry
  openConnections: Gauge
  loadedRooms: Gauge
  framesReceived: Metric
  bytesReceived: Metric
  updatesPersisted: Metric
  updatesChecked: Metric
  compactions: Metric
  upgradesAccepted: Metric
  upgradesRefused: Metric
  framesRejected: Metric
  connectionsUnresponsive: Metric
  awarenessDropped: Metric
  attachmentsStored: Metric
  attachmentBytesStored: Metric
  attachmentsServed: Metric
  attachmentsRefused: Metric
  digestsStored: Metric
  digestBytesStored: Metric
  digestsServed: Metric
  digestsRefused: Metric
  credentialFailures: Metric
  perimeterRefusals: Metric
  trackedAddresses: Gauge
  redisUp: Gauge
  fanoutPublished: Metric
  fanoutReceived: Metric
  fanoutDropped: Metric
  fanoutCatchUps: Metric
  fanoutLag: Histogram
}

/** Why a room of a multi-node relay read storage for rows it had not heard of (fanout/). */
export type FanoutCatchUpReason = 'attached' | 'gap' | 'head' | 'recovered' | 'bus_down' | 'compaction' | 'periodic'

export function createRelayMetrics(registry = new MetricsRegistry()): RelayMetrics {
  return {
    registry,
    openConnections: registry.gauge('tournee_open_connections', 'Open sync WebSocket connections.'),
    loadedRooms: registry.gauge('tournee_loaded_rooms', 'Rooms (of all spaces) currently loaded in memory.'),
    framesReceived: registry.counter('tournee_frames_received_total', 'Frames received on sync sockets.'),
    bytesReceived: registry.counter('tournee_bytes_received_total', 'Bytes received in sync frames.'),
    updatesPersisted: registry.counter('tournee_updates_persisted_total', 'Envelope updates made durable.'),
    updatesChecked: registry.counter(
      'tournee_updates_checked_total',
      'Envelope updates that passed the shape check, by verdict: accepted as received, trimmed of what the room held, nothing new, deferred behind the writes queued before them, or dropped (referring to what the room lacks, from a device whose step 2 is on its way).',
    ),
    compactions: registry.counter('tournee_compactions_total', 'Room storage compactions.'),
    upgradesAccepted: registry.counter('tournee_upgrades_accepted_total', 'WebSocket upgrades accepted.'),
    upgradesRefused: registry.counter('tournee_upgrades_refused_total', 'WebSocket upgrades refused, by reason.'),
    framesRejected: registry.counter('tournee_frames_rejected_total', 'Frames that closed their connection, by reason (refused updates among them: nothing of them is stored or forwarded).'),
    connectionsUnresponsive: registry.counter('tournee_connections_unresponsive_total', 'Sync sockets cut after unanswered WebSocket pings (a device gone without closing).'),
    awarenessDropped: registry.counter('tournee_awareness_dropped_total', 'Awareness frames (and queries) received and dropped: presence is not relayed.'),
    attachmentsStored: registry.counter('tournee_attachments_stored_total', 'Attachment uploads accepted, by result (created, exists).'),
    attachmentBytesStored: registry.counter('tournee_attachment_bytes_stored_total', 'Bytes of newly stored attachments.'),
    attachmentsServed: registry.counter('tournee_attachments_served_total', 'Attachment downloads served.'),
    attachmentsRefused: registry.counter('tournee_attachments_refused_total', 'Attachment requests refused, by reason.'),
    digestsStored: registry.counter('tournee_digests_stored_total', 'Digest uploads accepted, by result (created, replaced).'),
    digestBytesStored: registry.counter('tournee_digest_bytes_stored_total', 'Bytes of accepted digest uploads.'),
    digestsServed: registry.counter('tournee_digests_served_total', 'Digest downloads served (GET, not HEAD).'),
    digestsRefused: registry.counter('tournee_digests_refused_total', 'Digest requests refused, by reason (precondition_failed: not the digest the device read).'),
    credentialFailures: registry.counter('tournee_credential_failures_total', 'Credentials refused (space credential, enrolment secret, metrics token), by surface (http, websocket, metrics).'),
    perimeterRefusals: registry.counter('tournee_perimeter_refusals_total', 'Requests refused by the per-address limits and access rules, by reason.'),
    trackedAddresses: registry.gauge('tournee_perimeter_tracked_addresses', 'Client addresses the per-address limits hold in memory (set when /metrics is read).'),
    redisUp: registry.gauge('tournee_redis_up', 'Whether this node is connected to the Redis of multi-node fan-out (1) or not (0; always 0 without TOURNEE_REDIS_URL).'),
    fanoutPublished: registry.counter('tournee_fanout_published_total', 'Notices published to the other nodes (committed rows, space events), by result (sent, failed).'),
    fanoutReceived: registry.counter('tournee_fanout_received_total', "Other nodes' room notices received, by kind (row: carried the row; head: read from storage)."),
    fanoutDropped: registry.counter('tournee_fanout_dropped_total', 'Messages from the bus refused as malformed (another relay version on the same Redis?).'),
    fanoutCatchUps: registry.counter('tournee_fanout_catchups_total', 'Reads of storage by a loaded room for rows it was not told of, by reason (attached, gap, head, recovered, bus_down, compaction).'),
    fanoutLag: registry.histogram(
      'tournee_fanout_lag_seconds',
      "Cross-node fan-out lag: from another node's commit of a row to this node's sending it to its sockets (the two nodes' clocks included).",
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    ),
  }
}
