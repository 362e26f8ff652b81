/**
 * Whether the registry narrowed the role of the device an open practice belongs to
 * (role-downgrade.ts), for the app to close the practice and open it again narrowed
 * (app/lock/device-session.ts). device.ts asks for a check when the relay refuses a clinical room
 * for the role (4403), when the practice comes online, and when a new key epoch arrives (a change
 * to secretary calls for one); one read of the registry at a time, a request meanwhile runs one
 * more after it. A read that fails (offline) says nothing: the next trigger reads again.
 */
import type { RoleNarrowing } from './role-downgrade'

export class RoleWatch {
  private narrowing: RoleNarrowing | null = null
  private readonly listeners = new Set<() => void>()
  private running: Promise<void> | null = null
  private again = false

  constructor(private readonly read: () => Promise<RoleNarrowing | null>) {}

  /** The narrowing found, or null while none was. */
  get(): RoleNarrowing | null {
    return this.narrowing
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Reads the registry again (or once more after the read under way); resolves when the read under way ends. */
  check(): Promise<void> {
    if (this.narrowing !== null) return Promise.resolve()
    if (this.running !== null) {
      this.again = true
      return this.running
    }
    this.running = this.readOnce().finally(() => {
      this.running = null
      if (this.again) {
        this.again = false
        void this.check()
      }
    })
    return this.running
  }

  private async readOnce(): Promise<void> {
    const found = await this.read().catch((error: unknown) => {
      console.warn('Could not read the device registry for this device’s role', error instanceof Error ? error.name : 'error')
      return null
    })
    if (found === null || this.narrowing !== null) return
    this.narrowing = found
    for (const listener of [...this.listeners]) listener()
  }
}
