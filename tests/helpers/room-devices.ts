/**
 * What the room tests share: a device that opens nothing in the background, so what it connects
 * is only what it asked for, a month's appointment count read through the device, and a booking.
 */
import type { DeviceEnvironment, OpenPractice } from '../../client/src/sync/device/device'
import { addAppointment, listAppointments } from '../../shared/src/model/agenda'
import { agendaDocId } from '../../shared/src/model/doc-ids'
import { nodeDeviceEnvironment, type RecordedFrames } from './node-device'
import { actorOf } from './relay-fixture'

export function quietDevice(name: string, frames: RecordedFrames): DeviceEnvironment {
  return { ...nodeDeviceEnvironment(name, frames), practice: { background: false } }
}

export async function appointmentsIn(p: OpenPractice, month: string): Promise<number> {
  return listAppointments(await p.space.openDoc(agendaDocId(month)), {}).items.length
}

/** Books a half-hour at the practice on `month`-`day` at `hour`:00, through the device. */
export async function bookIn(
  p: OpenPractice,
  month: string,
  who: { practitionerId: string; patientId: string },
  day = '10',
  hour = '09',
): Promise<string> {
  return addAppointment(
    await p.space.openDoc(agendaDocId(month)),
    { start: `${month}-${day}T${hour}:00`, durationMin: 30, ...who, place: 'practice' },
    actorOf(p),
    Date.now,
  )
}
