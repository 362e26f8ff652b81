/**
 * What people call the practice's devices, in the directory's `devices` collection:
 *
 *   directory  devices  deviceId → Y.Map { name?: 'iPad de Camille', memberId?: who holds it,
 *                                          updatedAt, updatedBy }
 *
 * The device registry (shared/src/devices/registry-chain.ts) says which devices exist, with their
 * keys; it is public to the relay, so names and holders are kept here instead, encrypted like the
 * rest of the directory. Each field merges on its own (a rename on one device and the holder set
 * on another both stay). A device with no label shows its id.
 */
import * as Y from 'yjs'
import { z } from 'zod'
import type { Actor, Clock } from './actor'
import { DIRECTORY_MAPS } from './collections'
import { issueMessage, ValidationError } from './validation-error'

export const DEVICE_NAME_MAX = 60

export interface DeviceLabel {
  readonly name: string | null
  readonly memberId: string | null
}

const NameSchema = z.string().trim().min(1).max(DEVICE_NAME_MAX)

function labels(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
  return doc.getMap<Y.Map<unknown>>(DIRECTORY_MAPS.devices)
}

/** Sets what is given of a device's label; a name is trimmed and 1–60 characters (ValidationError otherwise). */
export function labelDevice(doc: Y.Doc, deviceId: string, patch: { name?: string; memberId?: string }, actor: Actor, clock: Clock): void {
  let name: string | undefined
  if (patch.name !== undefined) {
    const parsed = NameSchema.safeParse(patch.name)
    if (!parsed.success) {
      const issue =
        patch.name.trim() === ''
          ? { path: 'name', code: 'required' as const, message: issueMessage('required') }
          : { path: 'name', code: 'too_long' as const, message: issueMessage('too_long', DEVICE_NAME_MAX), limit: DEVICE_NAME_MAX }
      throw new ValidationError('device name', [issue])
    }
    name = parsed.data
  }
  doc.transact(() => {
    const all = labels(doc)
    let label = all.get(deviceId)
    if (!(label instanceof Y.Map)) {
      label = new Y.Map<unknown>()
      all.set(deviceId, label)
    }
    if (name !== undefined) label.set('name', name)
    if (patch.memberId !== undefined) label.set('memberId', patch.memberId)
    label.set('updatedAt', clock())
    label.set('updatedBy', actor.deviceId)
  })
}

/** Every label, as read (a malformed field reads as absent: the relay may have been hostile, peers buggy). */
export function deviceLabels(doc: Y.Doc): Map<string, DeviceLabel> {
  const result = new Map<string, DeviceLabel>()
  for (const [deviceId, label] of labels(doc)) {
    if (!(label instanceof Y.Map)) continue
    const name = NameSchema.safeParse(label.get('name'))
    const memberId = label.get('memberId')
    result.set(deviceId, { name: name.success ? name.data : null, memberId: typeof memberId === 'string' ? memberId : null })
  }
  return result
}
