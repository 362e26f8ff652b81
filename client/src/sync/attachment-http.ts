/**
 * The relay's attachment routes, from the device (relay/src/app/attachments.ts holds the
 * contract). Only the space id and the hash of the ciphertext are in the URL; the credential
 * travels in the Authorization header; file names and types never leave the encrypted doc.
 */
import { Paths } from '../../../shared/src/protocol/constants'

export const TransferFailure = {
  /** No answer (offline, relay down): retry when back online. */
  Unreachable: 'unreachable',
  /** The relay refused the credential or does not know the space: retrying will not help. */
  Refused: 'refused',
  /** Larger than the relay accepts. */
  TooLarge: 'too-large',
  /** The relay holds no attachment under this hash (yet: its uploader may still be offline). */
  NotFound: 'not-found',
  /** Any other answer (hash mismatch, relay error). */
  Failed: 'failed',
} as const
export type TransferFailure = (typeof TransferFailure)[keyof typeof TransferFailure]

export class AttachmentTransferError extends Error {
  override name = 'AttachmentTransferError'
  constructor(
    readonly failure: TransferFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

export interface RelayTarget {
  readonly relayUrl: string
  readonly spaceId: string
  readonly credential: string
  readonly fetchImpl?: typeof fetch
}

function attachmentUrl(target: RelayTarget, hash: string): string {
  return new URL(`${Paths.spaces}/${encodeURIComponent(target.spaceId)}/attachments/${hash}`, target.relayUrl).toString()
}

function failureOf(status: number): TransferFailure {
  if (status === 401 || status === 403) return TransferFailure.Refused
  if (status === 404) return TransferFailure.NotFound
  if (status === 413) return TransferFailure.TooLarge
  return TransferFailure.Failed
}

async function send(target: RelayTarget, hash: string, init: RequestInit): Promise<Response> {
  const fetchImpl = target.fetchImpl ?? fetch
  try {
    return await fetchImpl(attachmentUrl(target, hash), {
      ...init,
      headers: { ...init.headers, authorization: `Bearer ${target.credential}` },
    })
  } catch (cause) {
    throw new AttachmentTransferError(TransferFailure.Unreachable, 'Relay unreachable', { cause })
  }
}

/** Stores the ciphertext on the relay; resolves once the relay has it (new or already there). */
export async function uploadAttachment(target: RelayTarget, hash: string, blob: Uint8Array): Promise<void> {
  const response = await send(target, hash, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: blob.slice().buffer,
  })
  if (response.status === 200 || response.status === 201) return
  throw new AttachmentTransferError(failureOf(response.status), `The relay refused the attachment (${response.status})`)
}

export async function downloadAttachment(target: RelayTarget, hash: string): Promise<Uint8Array> {
  const response = await send(target, hash, { method: 'GET' })
  if (response.status !== 200) {
    throw new AttachmentTransferError(failureOf(response.status), `The relay did not serve the attachment (${response.status})`)
  }
  try {
    return new Uint8Array(await response.arrayBuffer())
  } catch (cause) {
    throw new AttachmentTransferError(TransferFailure.Unreachable, 'Connection lost while downloading', { cause })
  }
}
