import { useId, useMemo, useState } from 'react'
import type { ChangeEvent } from 'react'
import type * as Y from 'yjs'
import { listAttachments, listPrescriptions, newestCreatedFirst, newestDatedFirst } from '../../../../../shared/src/model'
import type { Attachment, Prescription } from '../../../../../shared/src/model'
import { useT } from '../../../i18n'
import { useActor, useAttachmentActions, useAttachmentOpenable, useAttachmentState, usePatientFileRecords, usePractice } from '../../../state'
import { FormAlert, FormNotice } from '../../form/form-alert'
import { describeAttachmentError, formatSize, isOfflineFailure } from './attachment-format'
import { showInTab } from './show-in-tab'

const readAttachments = (doc: Y.Doc): readonly Attachment[] => listAttachments(doc).items
const readPrescriptions = (doc: Y.Doc): readonly Prescription[] => listPrescriptions(doc).items

/** How long an opened file's object URL lives: long enough for the new tab to load it. */
const OBJECT_URL_LIFETIME_MS = 60_000

/**
 * Photos and files of the patient — and of the duplicates merged into it (`members`): added to the
 * patient's own file (`doc`) from the camera or the device, opened in a new tab.
 */
export function AttachmentSection(props: { doc: Y.Doc; members: readonly string[] }) {
  const { doc, members } = props
  const translator = useT()
  const { t } = translator
  const { clock } = usePractice()
  const actor = useActor()
  const actions = useAttachmentActions()
  const titleId = useId()
  const cameraId = useId()
  const fileId = useId()
  const { items, complete } = usePatientFileRecords(members, readAttachments, newestCreatedFirst)
  const attachments = useMemo(() => (items ?? []).map((item) => item.record), [items])
  const [failure, setFailure] = useState<string | null>(null)
  const [notice, setNotice] = useState('')
  const { storageError } = useAttachmentState()

  async function onChosen(event: ChangeEvent<HTMLInputElement>) {
    const input = event.currentTarget
    const files = [...(input.files ?? [])]
    setNotice('')
    try {
      for (const file of files) await actions.addFile(doc, file, {}, actor, clock)
      setFailure(null)
      if (files.length > 0) setNotice(t('file.attachment.added'))
    } catch (error) {
      setFailure(describeAttachmentError(error, translator))
    } finally {
      input.value = ''
    }
  }

  return (
    <section className="clinical__section" aria-labelledby={titleId}>
      <h3 id={titleId}>{t('file.attachments')}</h3>
      {failure ? <FormAlert>{failure}</FormAlert> : null}
      {storageError ? <FormAlert>{t('file.attachment.error', { message: storageError })}</FormAlert> : null}
      <div className="clinical__actions">
        <input
          id={cameraId}
          className="file-picker__input"
          type="file"
          accept="image/*"
          capture="environment"
          onChange={(event) => void onChosen(event)}
        />
        <label className="button file-picker" htmlFor={cameraId}>
          {t('file.attachment.camera')}
        </label>
        <input
          id={fileId}
          className="file-picker__input"
          type="file"
          accept="image/*,application/pdf"
          multiple
          onChange={(event) => void onChosen(event)}
        />
        <label className="button file-picker" htmlFor={fileId}>
          {t('file.attachment.add')}
        </label>
      </div>
      <FormNotice>{notice}</FormNotice>
      {attachments.length > 0 ? (
        <AttachmentList members={members} attachments={attachments} />
      ) : complete ? (
        <p className="empty">{t('file.attachment.none')}</p>
      ) : (
        <p>{t('app.loading')}</p>
      )}
    </section>
  )
}

function AttachmentList(props: { members: readonly string[]; attachments: readonly Attachment[] }) {
  const { items: prescriptions } = usePatientFileRecords(props.members, readPrescriptions, newestDatedFirst)
  const prescriptionDates = useMemo(() => new Map((prescriptions ?? []).map(({ record: p }) => [p.id, p.date])), [prescriptions])
  return (
    <ul className="attachments">
      {props.attachments.map((a) => (
        <AttachmentItem key={a.id} attachment={a} prescriptionDate={a.prescriptionId ? prescriptionDates?.get(a.prescriptionId) : undefined} />
      ))}
    </ul>
  )
}

function AttachmentItem(props: { attachment: Attachment; prescriptionDate: string | undefined }) {
  const { attachment: a, prescriptionDate } = props
  const translator = useT()
  const { t, longDate, timeZone } = translator
  const { open } = useAttachmentActions()
  const state = useAttachmentState()
  const openable = useAttachmentOpenable(a.hash)
  // The last failed tap; an "offline" failure stops mattering once the file is openable again.
  const [problem, setProblem] = useState<{ text: string; offline: boolean } | null>(null)
  // Offline and not on this device: said before anyone taps, and after a failed tap.
  const shown =
    problem && !(problem.offline && openable === true) ? problem.text : openable === false ? t('file.attachment.unavailable') : null
  const created = new Intl.DateTimeFormat(translator.locale, { dateStyle: 'long', timeZone }).format(a.createdAt)

  async function openInNewTab() {
    // Opened now, within the tap, or the browser would block a window opened after the await.
    const win = window.open('', '_blank')
    try {
      const bytes = await open(a.hash)
      const url = URL.createObjectURL(new Blob([bytes.slice().buffer], { type: a.mime }))
      setTimeout(() => URL.revokeObjectURL(url), OBJECT_URL_LIFETIME_MS)
      setProblem(null)
      showInTab(win, url, a)
    } catch (error) {
      win?.close()
      setProblem({ text: describeAttachmentError(error, translator), offline: isOfflineFailure(error) })
    }
  }

  return (
    <li className="attachment">
      <button type="button" className="button button--quiet attachment__open" onClick={() => void openInNewTab()}>
        {t('file.attachment.open', { name: a.name })}
      </button>
      <span className="attachment__meta">
        {t('file.attachment.meta', { date: created, size: formatSize(a.size, translator) })}
        {prescriptionDate ? ` · ${t('file.attachment.forPrescription', { date: longDate(prescriptionDate) })}` : null}
      </span>
      {state.pending.has(a.hash) ? <span className="badge badge--pending">{t('file.attachment.pending')}</span> : null}
      {state.failed.has(a.hash) ? <span className="badge badge--failed">{t('file.attachment.failed')}</span> : null}
      {shown ? (
        <p className="attachment__problem" role="status">
          {shown}
        </p>
      ) : null}
    </li>
  )
}
