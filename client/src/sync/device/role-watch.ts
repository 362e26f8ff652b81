/**
 * Whether the registry changed the role of the device an open practice belongs to (role-change.ts:
 * narrowed, or widened with its key grant taken), for the app to close the practice and open it
 * again as the new role (app/lock/device-session.ts). device.ts asks for a check when the relay
 * refuses a clinical room for the role (4403), when the practice comes online (the relay closes a
 * widened device's sockets, 4205, so that it does), and when a new key epoch arrives (a change to
 * secretary calls for one); one read of the registry at a time, a request meanwhile runs one more
 * after it. A read that fails (offline) says nothing: the next trigger reads again. The online
 * pass hands over the registry it read for all its steps (registry-read.ts); the others ask for a
 * read of their own. Once its practice is closed (`isOpen` false) the watch reads nothing more,
 * says nothing of a read that fails, and tells nothing it finds: the app has let that practice go
 * (a lock, a switch of practice), and a warning or a reopen for it would be noise or worse.
 */
import type { RegistryRead } from './registry-read'
import type { RoleChange } from './role-change'

export class RoleWatch {
  private change: RoleChange | null = null
  private readonly listeners = new Set<() => void>()
  private running: Promise<void> | null = null
  private again = false
  /** The registry the latest request made during a read handed over: the read after it takes it (none: its own). */
  private againRead: RegistryRead | undefined = undefined

  constructor(
    private readonly read: (registry?: RegistryRead) => Promise<RoleChange | null>,
    private readonly isOpen: () => boolean = () => true,
  ) {}

  /** The change found, or null while none was. */
  get(): RoleChange | null {
    return this.change
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /**
   * Reads the registry again — or takes `registry`, read for the caller's moment — or once more
   * after the read under way; resolves when the read under way ends.
   */
  check(registry?: RegistryRead): Promise<void> {
    if (this.change !== null || !this.isOpen()) return Promise.resolve()
    if (this.running !== null) {
      this.again = true
      this.againRead = registry
      return this.running
    }
    this.running = this.readOnce(registry).finally(() => {
      this.running = null
      if (this.again) {
        this.again = false
        const next = this.againRead
        this.againRead = undefined
        void this.check(next)
      }
    })
    return this.running
  }

  /** Resolves once no read is under way (nor one asked for after it). */
  async settled(): Promise<void> {
    while (this.running !== null) await this.running
  }

  private async readOnce(registry: RegistryRead | undefined): Promise<void> {
    const found = await this.read(registry).catch((error: unknown) => {
      if (this.isOpen()) console.warn('Could not read the device registry for this device’s role', error instanceof Error ? error.name : 'error')
      return null
    })
    if (found === null || this.change !== null || !this.isOpen()) return
    this.change = found
    for (const listener of [...this.listeners]) listener()
  }
}
