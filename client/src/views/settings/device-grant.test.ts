import { describe, expect, it } from 'vitest'
import { DeviceRole } from '../../../../shared/src/devices/registry-chain'
import { locumUntil, readGrant } from './device-grant'

describe('the grant « Ajouter un appareil » makes', () => {
  it('ends a locum’s access at midnight after the last day, in the practice’s time zone (winter and summer time)', () => {
    expect(locumUntil('2027-01-31', 'Europe/Paris')).toBe(Date.UTC(2027, 1, 0, 23, 0))
    expect(locumUntil('2027-07-14', 'Europe/Paris')).toBe(Date.UTC(2027, 6, 14, 22, 0))
    // The night the clocks go forward: the day after still starts at local midnight.
    expect(locumUntil('2027-03-27', 'Europe/Paris')).toBe(Date.UTC(2027, 2, 27, 23, 0))
  })

  it('asks a locum’s last day, today or later, and makes no locum, secretary, nor anything but a praticien an administrator', () => {
    const today = '2027-02-01'
    expect(readGrant({ role: DeviceRole.Locum, admin: true, lastDay: null }, 'Europe/Paris', today)).toEqual({ ok: false, field: 'lastDay', problem: 'missing' })
    expect(readGrant({ role: DeviceRole.Locum, admin: true, lastDay: '2027-02-30' }, 'Europe/Paris', today)).toEqual({ ok: false, field: 'lastDay', problem: 'missing' })
    expect(readGrant({ role: DeviceRole.Locum, admin: false, lastDay: '2027-01-31' }, 'Europe/Paris', today)).toEqual({ ok: false, field: 'lastDay', problem: 'past' })
    expect(readGrant({ role: DeviceRole.Locum, admin: false, lastDay: today }, 'Europe/Paris', today)).toMatchObject({ ok: true })
    expect(readGrant({ role: DeviceRole.Locum, admin: true, lastDay: '2027-02-28' }, 'Europe/Paris', today)).toEqual({
      ok: true,
      grant: { role: DeviceRole.Locum, admin: false, until: Date.UTC(2027, 1, 28, 23, 0) },
    })
    expect(readGrant({ role: DeviceRole.Secretariat, admin: true, lastDay: '2027-02-28' }, 'Europe/Paris', today)).toEqual({
      ok: true,
      grant: { role: DeviceRole.Secretariat, admin: false, until: null },
    })
    expect(readGrant({ role: DeviceRole.Practitioner, admin: true, lastDay: null }, 'Europe/Paris', today)).toEqual({
      ok: true,
      grant: { role: DeviceRole.Practitioner, admin: true, until: null },
    })
  })
})
