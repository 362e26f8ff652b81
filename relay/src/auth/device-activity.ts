/**
 * When each registered device was last seen (Réglages › Appareils shows it): a sync socket of the
 * device opened or closed. Written to storage at most once a minute per device while it opens
 * sockets (a device opens one per room it shows), and always when one closes, so that « vu à … »
 * is right within a minute without a write per socket. A failed write is logged and forgotten:
 * the figure is a convenience, never a reason to refuse a device.
 */
import { errorFields, type Logger } from '../log'
import type { RelayStorage } from '../storage/relay-storage'

export const SEEN_WRITE_INTERVAL_MS = 60_000

export class DeviceActivity {
  private readonly written = new Map<string, number>()

  constructor(
    private readonly deps: { storage: Pick<RelayStorage, 'touchDevice'>; logger: Logger; now?: () => number },
  ) {}

  seen(spaceId: string, deviceId: string, options: { force?: boolean } = {}): void {
    const now = (this.deps.now ?? Date.now)()
    const key = `${spaceId}:${deviceId}`
    const last = this.written.get(key)
    if (!options.force && last !== undefined && now - last < SEEN_WRITE_INTERVAL_MS) return
    this.written.set(key, now)
    this.deps.storage.touchDevice(spaceId, deviceId, now).catch((error: unknown) => this.deps.logger.warn('device_seen_failed', { spaceId, ...errorFields(error) }))
  }
}
