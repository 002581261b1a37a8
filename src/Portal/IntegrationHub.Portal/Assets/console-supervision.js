// Supervision (督办, LOOP-004, LOOP-005): the units' overdue shares, per unit and per district, and the supervising
// organizations the chain goes to. Everyone who reads alerts sees the shares of the alerts they may read; the operator
// adds and removes supervising organizations (each change is audited by the hub).
import { api, currentSession, el, fill, say, t, when } from './portal.js';

let me = null;
const isOperator = () => me?.organizationKind === 'operator';

/** Counts per key, most first. */
function tally(items, key, label) {
  const counts = new Map();
  for (const item of items) counts.set(key(item), { label: label(item), count: (counts.get(key(item))?.count ?? 0) + 1 });
  return [...counts.entries()].sort((a, b) => b[1].count - a[1].count).map(([id, { label: text, count }]) => el('li', { dataset: { key: id } }, `${text}: ${count}`));
}

async function loadOverdue() {
  const f = document.getElementById('overdue-filter').elements;
  const query = new URLSearchParams();
  if (f.unit.value.trim()) query.set('unit', f.unit.value.trim());
  if (f.district.value) query.set('district', f.district.value);
  const shares = await api('GET', `/v1/alerts/overdue?${query}`);
  fill(document.getElementById('overdue'), shares.map(s => el('tr', { dataset: { alertId: s.alertId, unit: s.organizationId } },
    el('td', {}, `#${s.alertId} ${s.ruleTitle} · ${s.deviceId}`),
    el('td', {}, t(`Level.${s.level}`)),
    el('td', {}, s.district),
    el('td', { class: 'unit' }, s.organizationName),
    el('td', {}, t(`Loop.State.${s.state}`)),
    el('td', { class: 'missed' }, s.missed.map(m => t(`Loop.Missed.${m}`)).join(', ')),
    el('td', {}, when(s.overdueSince)))), 7);
  const none = [el('li', {}, t('Common.None'))];
  const perUnit = tally(shares, s => s.organizationId, s => s.organizationName);
  const perDistrict = tally(shares, s => s.district, s => s.district);
  document.getElementById('per-unit').replaceChildren(...(perUnit.length ? perUnit : none));
  document.getElementById('per-district').replaceChildren(...(perDistrict.length ? perDistrict : none.map(n => n.cloneNode(true))));
  say('overdue-message');
}

async function loadSupervisors() {
  const lines = await api('GET', '/v1/supervisors');
  fill(document.getElementById('supervisors'), lines.map(line => el('tr', { dataset: { supervisorId: line.id, domain: line.domain } },
    el('td', {}, line.domain),
    el('td', {}, line.district ?? t('Common.All')),
    el('td', {}, line.profile ?? t('Common.All')),
    el('td', { class: 'organization' }, `${line.organizationName ?? ''} (${line.organizationId})`),
    el('td', {}, line.note ?? ''),
    el('td', {}, line.updatedBy.name ?? line.updatedBy.id),
    el('td', {}, isOperator() && el('button', { type: 'button', dataset: { delete: line.id }, onclick: () => remove(line.id) }, t('Loop.Routing.Delete'))))), 7);
}

async function remove(id) {
  try {
    await api('DELETE', `/v1/supervisors/${id}`);
    say('supervisors-message');
    await loadSupervisors();
  } catch (error) {
    say('supervisors-message', error);
  }
}

document.getElementById('overdue-filter').addEventListener('submit', event => {
  event.preventDefault();
  loadOverdue().catch(error => say('overdue-message', error));
});

document.getElementById('new-supervisor').addEventListener('submit', async event => {
  event.preventDefault();
  const f = Object.fromEntries(new FormData(event.target));
  const body = { domain: f.domain, organizationId: f.organizationId.trim() };
  for (const name of ['district', 'profile', 'note']) if (f[name]) body[name] = f[name];
  try {
    await api('POST', '/v1/supervisors', body);
    say('new-supervisor-message');
    event.target.reset();
    await loadSupervisors();
  } catch (error) {
    say('new-supervisor-message', error);
  }
});

try {
  me = await currentSession();
  document.getElementById('new-supervisor').hidden = !isOperator();
  await Promise.all([loadOverdue(), loadSupervisors()]);
} catch (error) {
  say('overdue-message', error);
}
