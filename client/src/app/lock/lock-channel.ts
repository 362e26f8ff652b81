/**
 * The app's tabs on this device tell each other about the lock (BroadcastChannel): one locks,
 * all lock; one forgets the practice, the others close it at once (and let its databases be
 * deleted); the method changed in one, the others read it again. Unlocking is each tab's own.
 */
import { isForgetReason, type ForgetReason } from './forgotten-marker'

export type LockMessage =
  | { readonly type: 'lock' }
  | { readonly type: 'forgotten'; readonly practiceName: string; readonly reason?: ForgetReason }
  | { readonly type: 'changed' }

export interface LockChannel {
  post(message: LockMessage): void
  /** The function returned stops listening. */
  listen(handler: (message: LockMessage) => void): () => void
}

function isLockMessage(value: unknown): value is LockMessage {
  if (typeof value !== 'object' || value === null) return false
  const message = value as Record<string, unknown>
  if (message.type === 'lock' || message.type === 'changed') return true
  return message.type === 'forgotten' && typeof message.practiceName === 'string' && (message.reason === undefined || isForgetReason(message.reason))
}

/** The browser's channel between this app's tabs, or null without BroadcastChannel. */
export function browserLockChannel(prefix = ''): LockChannel | null {
  if (typeof BroadcastChannel !== 'function') return null
  const channel = new BroadcastChannel(`${prefix}tournee-lock`)
  return {
    post: (message) => channel.postMessage(message),
    listen: (handler) => {
      const onMessage = (event: MessageEvent) => {
        if (isLockMessage(event.data)) handler(event.data)
      }
      channel.addEventListener('message', onMessage)
      return () => channel.removeEventListener('message', onMessage)
    },
  }
}
