// Source health (7×24 值守, HLT-001, HLT-002): the online rate per district and domain, the adapters and the devices,
// as the hub measures them for this person (each sees only the sources it may read). The figures are the API's, shown
// as they are: shares as percentages, lateness in seconds.
import { api, districtCell, districtNames, domainText, el, fill, say, t, when } from './portal.js';

const percent = share => `${(share * 100).toFixed(1)} %`;
const seconds = value => (value === null || value === undefined ? '—' : `${value} s`);
const lateness = item => `${seconds(item.latenessP50Seconds)} / ${seconds(item.latenessP90Seconds)}`;

function query(form, withWindow) {
  const f = form.elements;
  const query = new URLSearchParams();
  if (f.district.value) query.set('district', f.district.value);
  if (f.domain.value) query.set('domain', f.domain.value);
  if (withWindow && f.window.value) query.set('window', f.window.value);
  if (withWindow && f.silent.checked) query.set('silent', 'true');
  return query;
}

async function load() {
  const form = document.getElementById('sources-filter');
  const [rates, sources, name] = await Promise.all([
    api('GET', `/v1/health/online-rate?${query(form, false)}`),
    api('GET', `/v1/health/sources?${query(form, true)}`),
    districtNames(),
  ]);
  fill(document.getElementById('online-rates'), rates.items.map(r => el('tr', { dataset: { district: r.district, domain: r.domain } },
    districtCell(name, r.district),
    el('td', {}, domainText(r.domain)),
    el('td', { class: 'registered' }, r.registered),
    el('td', { class: 'online' }, r.online),
    el('td', { class: 'rate' }, percent(r.rate)))), 5);
  document.getElementById('online-total').replaceChildren(
    el('th', { scope: 'row', colspan: 2 }, t('Loop.Health.Total')),
    el('td', { class: 'registered' }, rates.total.registered),
    el('td', { class: 'online' }, rates.total.online),
    el('td', { class: 'rate' }, percent(rates.total.rate)));
  fill(document.getElementById('adapters'), sources.adapters.map(a => el('tr', { dataset: { adapterId: a.adapterId, silent: a.silent } },
    el('th', { scope: 'row' }, `${a.adapterId} (${a.organizationId})`, a.silent ? el('span', { class: 'badge silent' }, ' ', t('Loop.Health.AdapterSilent')) : null),
    el('td', { class: 'devices' }, a.devices),
    el('td', { class: 'silent-devices' }, a.silentDevices),
    el('td', { class: 'messages' }, t('Loop.Health.PerHour', a.messages, a.messagesPerHour)),
    el('td', { class: 'rejected' }, `${a.rejected} (${percent(a.rejectionShare)})`),
    el('td', { class: 'codes' }, a.rejections.map(r => `${r.code}: ${r.count}`).join(', ') || '—'),
    el('td', { class: 'duplicates' }, a.duplicates),
    el('td', { class: 'lateness' }, lateness(a)),
    el('td', {}, when(a.lastReceivedAt)))), 9);
  fill(document.getElementById('devices'), sources.devices.map(d => el('tr', { dataset: { deviceId: d.deviceId, silent: d.silent } },
    el('th', { scope: 'row' }, d.deviceId),
    el('td', {}, d.adapterId),
    districtCell(name, d.district),
    el('td', {}, domainText(d.domain)),
    el('td', { class: 'state' }, d.silent ? t('Loop.Health.SilentSince', when(d.silentSince)) : t('Loop.Health.Reporting')),
    el('td', { class: 'messages' }, d.messages),
    el('td', { class: 'rejected' }, d.rejected),
    el('td', { class: 'lateness' }, lateness(d)),
    el('td', {}, when(d.lastReceivedAt)))), 9);
  document.getElementById('devices-truncated').hidden = !sources.devicesTruncated;
  say('sources-message');
}

document.getElementById('sources-filter').addEventListener('submit', event => {
  event.preventDefault();
  load().catch(error => say('sources-message', error));
});

load().catch(error => say('sources-message', error));
