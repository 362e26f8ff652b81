/**
 * y-websocket's provider, but for what it says to the browser's other tabs when it connects.
 * Stock `connectBc` publishes the room's sync step 1 (its state vector) and then its sync step 2
 * with no state vector: the whole envelope, encoded and cloned through the BroadcastChannel at
 * every connection of every room — 1.9 s of the main thread for the main room of a practice of
 * 20,000 patients in a cold start's profile (docs/performance.md « (10) »), with no other tab open.
 * Here it publishes step 1 alone: a tab that lacks something answers with exactly that (its
 * step 2 to our step 1, stock behaviour), and what the other tabs lack of ours they already read
 * from the same IndexedDB, or get from our next updates and from the relay.
 *
 * And for what it says when it disconnects: stock `disconnectBc` (called by `disconnect()` and
 * `destroy()`) first broadcasts "my presence is gone", encoded under `doc.clientID`. The awareness
 * recorded its client id once, at construction; once the doc moved to another id (Yjs does when a
 * remote update writes at this doc's id, and so does rooms/delivery-check.ts when a clock of this
 * device was taken on the relay) it has no record under the new one, and the encoding throws a
 * TypeError (issue 18). Tournée announces no presence, so there is nothing to withdraw: here it
 * only leaves the channel.
 *
 * What it relies on (pinned with Y_WEBSOCKET_VERSION, relay-link.test.ts): `connectBc` and
 * `disconnectBc` are the public methods `connect()` and `disconnect()` call, and `bcChannel`,
 * `bcconnected`, `_bcSubscriber` are what the stock ones use (read; `bcconnected` written as they do).
 */
import * as encoding from 'lib0/encoding'
import * as bc from 'lib0/broadcastchannel'
import * as syncProtocol from 'y-protocols/sync'
import { WebsocketProvider } from 'y-websocket'

/** y-websocket's message type of sync messages (its `messageSync`). */
const MESSAGE_SYNC = 0

export class CrossTabProvider extends WebsocketProvider {
  override connectBc(): void {
    if (this.disableBc) return
    if (!this.bcconnected) {
      bc.subscribe(this.bcChannel, this._bcSubscriber)
      this.bcconnected = true
    }
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, MESSAGE_SYNC)
    syncProtocol.writeSyncStep1(encoder, this.doc)
    bc.publish(this.bcChannel, encoding.toUint8Array(encoder), this)
  }

  override disconnectBc(): void {
    if (!this.bcconnected) return
    bc.unsubscribe(this.bcChannel, this._bcSubscriber)
    this.bcconnected = false
  }
}
