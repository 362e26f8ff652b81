/**
 * The relay's keep-alive (the protocol's KEEP-ALIVE, shared/src/protocol/constants.ts): one timer
 * for every open sync socket, not one per socket, that asks each connection to keep its link
 * alive (SyncConnection.keepAlive: a keep-alive frame after a silence, a WebSocket ping, a cut
 * after unanswered ones). Unref'd: it never keeps the process up on its own.
 */
import { KEEP_ALIVE_MS } from '../../../shared/src/protocol/constants'

export interface KeptAlive {
  keepAlive(intervalMs: number): void
}

export class KeepAlive {
  private readonly connections = new Set<KeptAlive>()
  private timer: ReturnType<typeof setInterval> | null = null

  constructor(private readonly intervalMs: number = KEEP_ALIVE_MS) {}

  /** Follows the connection until the function returned is called (its socket closed). */
  add(connection: KeptAlive): () => void {
    this.connections.add(connection)
    this.timer ??= setInterval(() => this.tick(), this.intervalMs)
    this.timer.unref?.()
    return () => {
      this.connections.delete(connection)
      if (this.connections.size === 0) this.stop()
    }
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  private tick(): void {
    for (const connection of this.connections) connection.keepAlive(this.intervalMs)
  }
}
