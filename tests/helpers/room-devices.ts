/**
 * What the room tests share: a device that opens nothing in the background, so what it connects
 * is only what it asked for, and a month's appointment count read through the device.
 */
import type { DeviceEnvironment, OpenPractice } from '../../client/src/sync/device'
import { listAppointments } from '../../shared/src/model/agenda'
import { agendaDocId } from '../../shared/src/model/doc-ids'
import { nodeDeviceEnvironment, type RecordedFrames } from './node-device'

export function quietDevice(name: string, frames: RecordedFrames): DeviceEnvironment {
  return { ...nodeDeviceEnvironment(name, frames), rooms: { background: false } }
}

export async function appointmentsIn(p: OpenPractice, month: string): Promise<number> {
  return listAppointments(await p.space.openDoc(agendaDocId(month)), {}).items.length
}
