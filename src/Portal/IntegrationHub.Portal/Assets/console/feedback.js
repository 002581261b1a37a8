// Structured feedback (LOOP-007) for a resolve taken in the drawer, by the alert or by a unit's share: a cause of the
// alert's domain (GET /v1/feedback/causes), the false-alarm flag, and photos or PDFs, each uploaded to the alert first
// (POST /v1/alerts/{id}/attachments) so that the resolve can name them. The hub judges the files by their content.
import { api, el } from '../portal.js';

const causesByDomain = new Map();
const form = () => document.getElementById('step');

/** Fills the cause list with the alert's domain's causes, then the common ones; the hub's own system alerts have none. */
export async function showCauses(domain) {
  const select = form().elements.cause;
  if (select.dataset.domain === domain) return;
  select.dataset.domain = domain;
  select.replaceChildren(el('option', { value: '' }, '—'));
  if (domain === 'system') return;
  if (!causesByDomain.has(domain)) causesByDomain.set(domain, api('GET', `/v1/feedback/causes?domain=${encodeURIComponent(domain)}`));
  const chinese = document.documentElement.lang.startsWith('zh');
  for (const cause of await causesByDomain.get(domain)) {
    select.append(el('option', { value: cause.id }, chinese ? cause.nameZh : cause.name));
  }
}

/** Uploads the chosen files to the alert and answers the feedback a resolve carries: cause, false alarm, attachments. */
export async function feedback(alertId) {
  const fields = form().elements;
  const attachments = [];
  for (const file of fields.photos.files) {
    const body = new FormData();
    body.append('file', file, file.name);
    attachments.push((await api('POST', `/v1/alerts/${alertId}/attachments`, body)).id);
  }
  return {
    cause: fields.cause.value || undefined,
    falseAlarm: fields.falseAlarm.checked,
    attachments: attachments.length ? attachments : undefined,
  };
}

