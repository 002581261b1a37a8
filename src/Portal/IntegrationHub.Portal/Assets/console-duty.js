// The duty roster and the hand-over (LOOP-006): who of a unit is on duty, its shifts for the week (local time,
// Asia/Shanghai, as the hub takes them), and its hand-overs. A unit's leads (users:manage) and the operator add and
// remove shifts; its officers (alerts:manage) hand over and accept. The hub decides; the page only hides what it refuses.
import { api, currentSession, el, fill, say, t, when } from './portal.js';

let me = null;
let unit = null;
const may = scope => me?.scopes.includes(scope);
const base = () => `/v1/organizations/${encodeURIComponent(unit)}`;
const person = actor => actor ? (actor.name ?? actor.id) : '—';

async function loadDuty() {
  const duty = await api('GET', `${base()}/duty`);
  const now = duty.onDuty.map(s => el('li', { dataset: { shiftId: s.id } }, `${person(s.person)} · ${s.start}–${s.end}`));
  document.getElementById('on-duty').replaceChildren(...(now.length ? now : [el('li', {}, t('Loop.Duty.Nobody'))]));
  document.getElementById('next-shift').textContent = duty.next ? t('Loop.Duty.Next', person(duty.next.person), `${duty.next.date} ${duty.next.start}`) : '';
}

async function loadShifts() {
  const shifts = await api('GET', `${base()}/shifts`);
  fill(document.getElementById('shifts'), shifts.map(s => el('tr', { dataset: { shiftId: s.id } },
    el('td', {}, s.date),
    el('td', {}, `${s.start}–${s.end}`),
    el('td', { class: 'person' }, person(s.person)),
    el('td', {}, s.note ?? ''),
    el('td', {}, may('users:manage') && el('button', { type: 'button', dataset: { delete: s.id }, onclick: () => removeShift(s.id) }, t('Loop.Routing.Delete'))))), 5);
}

async function loadHandovers() {
  const handovers = await api('GET', `${base()}/handovers`);
  fill(document.getElementById('handovers'), handovers.map(h => el('tr', { dataset: { handoverId: h.id } },
    el('td', {}, when(h.at)),
    el('td', {}, person(h.outgoing)),
    el('td', {}, person(h.incoming)),
    el('td', { class: 'counts' }, t('Loop.Duty.Counts', h.openCount, h.overdueCount)),
    el('td', {}, h.note),
    el('td', {}, h.acceptedAt ? `${person(h.acceptedBy)} · ${when(h.acceptedAt)}`
      : may('alerts:manage') && el('button', { type: 'button', dataset: { accept: h.id }, onclick: () => accept(h.id) }, t('Loop.Duty.Accept'))))), 6);
}

async function loadPeople() {
  const select = document.getElementById('new-shift').elements.userId;
  const people = await api('GET', `/v1/users?organization=${encodeURIComponent(unit)}`);
  select.replaceChildren(...people.filter(p => p.status !== 'disabled').map(p => el('option', { value: p.id }, `${p.name} (${p.role})`)));
}

async function load() {
  document.getElementById('new-shift').hidden = !may('users:manage');
  document.getElementById('new-handover').hidden = !may('alerts:manage');
  await Promise.all([loadDuty(), loadShifts(), loadHandovers(), may('users:manage') ? loadPeople() : null]);
  say('duty-message');
}

async function removeShift(id) {
  try {
    await api('DELETE', `${base()}/shifts/${id}`);
    say('shifts-message');
    await Promise.all([loadShifts(), loadDuty()]);
  } catch (error) {
    say('shifts-message', error);
  }
}

async function accept(id) {
  try {
    await api('POST', `${base()}/handovers/${id}/accept`, {});
    say('handover-message');
    await loadHandovers();
  } catch (error) {
    say('handover-message', error);
  }
}

document.getElementById('duty-unit').addEventListener('submit', event => {
  event.preventDefault();
  unit = event.target.elements.organizationId.value.trim();
  load().catch(error => say('duty-message', error));
});

document.getElementById('new-shift').addEventListener('submit', async event => {
  event.preventDefault();
  const f = Object.fromEntries(new FormData(event.target));
  const body = { userId: f.userId, date: f.date, start: f.start, end: f.end };
  if (f.note) body.note = f.note;
  try {
    await api('POST', `${base()}/shifts`, body);
    say('shifts-message');
    await Promise.all([loadShifts(), loadDuty()]);
  } catch (error) {
    say('shifts-message', error);
  }
});

document.getElementById('new-handover').addEventListener('submit', async event => {
  event.preventDefault();
  try {
    await api('POST', `${base()}/handovers`, { note: event.target.elements.note.value });
    say('handover-message');
    event.target.reset();
    await loadHandovers();
  } catch (error) {
    say('handover-message', error);
  }
});

try {
  me = await currentSession();
  unit = new URLSearchParams(location.search).get('unit') ?? me.organizationId;
  document.getElementById('duty-unit').elements.organizationId.value = unit;
  await load();
} catch (error) {
  say('duty-message', error);
}
