/**
 * For tests: a storage that forwards every call to a real one, except the calls `overrides`
 * replaces (to hold a write, fail it, or count a read). One place lists the methods, so a method
 * added to RelayStorage is forwarded by every test wrapper at once.
 */
import type { RelayStorage } from './relay-storage'

export function delegatingStorage(real: RelayStorage, overrides: Partial<RelayStorage> = {}): RelayStorage {
  return {
    kind: real.kind,
    createSpace: (id, hash) => real.createSpace(id, hash),
    getCredentialHash: (id) => real.getCredentialHash(id),
    listDeviceEntries: (id) => real.listDeviceEntries(id),
    appendDeviceEntry: (id, seq, entry, effect, grant) => real.appendDeviceEntry(id, seq, entry, effect, grant),
    findDevice: (id, hash) => real.findDevice(id, hash),
    countDevices: (id) => real.countDevices(id),
    touchDevice: (id, device, at) => real.touchDevice(id, device, at),
    devicesLastSeen: (id) => real.devicesLastSeen(id),
    listKeyEpochs: (id) => real.listKeyEpochs(id),
    publishKeyEpoch: (id, epoch, entry, by, seals) => real.publishKeyEpoch(id, epoch, entry, by, seals),
    grantKeyEpoch: (id, epoch, device, by, sealed) => real.grantKeyEpoch(id, epoch, device, by, sealed),
    listEpochSeals: (id, device) => real.listEpochSeals(id, device),
    putKeyGrant: (id, grant) => real.putKeyGrant(id, grant),
    getKeyGrant: (id, device) => real.getKeyGrant(id, device),
    loadUpdates: (id, room, after) => real.loadUpdates(id, room, after),
    admitRoom: (id, room, max) => real.admitRoom(id, room, max),
    appendUpdate: (id, room, update, max) => real.appendUpdate(id, room, update, max),
    compact: (id, room, state, upTo) => real.compact(id, room, state, upTo),
    putAttachment: (id, hash, data, quota) => real.putAttachment(id, hash, data, quota),
    spaceUsage: (id) => real.spaceUsage(id),
    getAttachment: (id, hash) => real.getAttachment(id, hash),
    putDigest: (id, name, weight, data, precondition) => real.putDigest(id, name, weight, data, precondition),
    getDigest: (id, name) => real.getDigest(id, name),
    getDigestHead: (id, name) => real.getDigestHead(id, name),
    openPairing: (pairing, now, bounds) => real.openPairing(pairing, now, bounds),
    updatePairing: (code, now, decide) => real.updatePairing(code, now, decide),
    countPairings: (now) => real.countPairings(now),
    close: () => real.close(),
    ...overrides,
  }
}
