/** The series the relay exposes on /metrics. Label values are fixed reason names, never ids. */
import { MetricsRegistry, type Gauge, type Metric } from './registry'

export type UpgradeRefusalReason =
  | 'path'
  | 'protocol'
  | 'origin'
  | 'unknown_space'
  | 'credential'
  | 'room_limit'
  | 'shutting_down'
  | 'error'
export type FrameRejectionReason =
  | 'bad_frame'
  | 'too_big'
  | 'update_too_large'
  | 'awareness_too_large'
  | 'rate_limited'
  | 'storage_failure'

export interface RelayMetrics {
  registry: MetricsRegistry
  openConnections: Gauge
  loadedRooms: Gauge
  framesReceived: Metric
  bytesReceived: Metric
  updatesPersisted: Metric
  compactions: Metric
  upgradesAccepted: Metric
  upgradesRefused: Metric
  framesRejected: Metric
}

export function createRelayMetrics(registry = new MetricsRegistry()): RelayMetrics {
  return {
    registry,
    openConnections: registry.gauge('tournee_open_connections', 'Open sync WebSocket connections.'),
    loadedRooms: registry.gauge('tournee_loaded_rooms', 'Rooms (of all spaces) currently loaded in memory.'),
    framesReceived: registry.counter('tournee_frames_received_total', 'Frames received on sync sockets.'),
    bytesReceived: registry.counter('tournee_bytes_received_total', 'Bytes received in sync frames.'),
    updatesPersisted: registry.counter('tournee_updates_persisted_total', 'Envelope updates made durable.'),
    compactions: registry.counter('tournee_compactions_total', 'Room storage compactions.'),
    upgradesAccepted: registry.counter('tournee_upgrades_accepted_total', 'WebSocket upgrades accepted.'),
    upgradesRefused: registry.counter('tournee_upgrades_refused_total', 'WebSocket upgrades refused, by reason.'),
    framesRejected: registry.counter('tournee_frames_rejected_total', 'Frames that closed their connection, by reason.'),
  }
}
