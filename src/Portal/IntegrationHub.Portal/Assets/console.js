// The operator console: the open alerts, live over server-sent events, with the closed-loop steps and each alert's
// responsible units, the city situation and the schematic map, all from the API with the person's session. A unit's
// people see the alerts routed to their unit and take its steps; the operator routes and may act for any unit.
import { ApiError, api, currentSession, el, fill, levelBadge, say, t, when } from './portal.js';

const severity = { red: 4, orange: 3, yellow: 2, blue: 1 };
const transitions = ['raised', 'escalated', 'deescalated', 'cleared', 'reopened', 'renotified', 'acknowledged', 'dispatched', 'resolved', 'closed',
  'unit.added', 'unit.removed', 'rerouted', 'unit.acknowledged', 'unit.resolved'];
const alerts = new Map();
const filters = document.getElementById('filters');
let selected = null;

function visible(alert) {
  const f = Object.fromEntries(new FormData(filters));
  return (!f.district || alert.district.startsWith(f.district)) && (!f.domain || alert.domain === f.domain) && (!f.level || alert.level === f.level);
}

let me = null;
const isOperator = () => me?.organizationKind === 'operator';
const working = unit => unit.state === 'routed' || unit.state === 'acknowledged';

/** The steps an alert can take next, as the hub allows them; units still working leave the operator only an override. */
function steps(alert) {
  const open = ['raised', 'acknowledged', 'dispatched'].includes(alert.state);
  const unitsWorking = (alert.units ?? []).some(working);
  return [
    alert.state === 'raised' && 'acknowledge',
    open && 'dispatch',
    open && !unitsWorking && 'resolve',
    open && unitsWorking && isOperator() && 'override',
    (alert.state === 'resolved' || (alert.cleared && alert.state !== 'closed')) && 'close',
  ].filter(Boolean);
}

/** The units of an alert in a few words: each unit's name with its state. */
function unitsText(alert) {
  return (alert.units ?? []).map(u => `${u.organizationName} (${t(`Loop.State.${u.state}`)})`).join(', ') || '—';
}

function stateText(alert) {
  return t(`State.${alert.state}`) + (alert.cleared ? ` (${t('State.cleared')})` : '');
}

function renderBoard(fresh) {
  const rows = [...alerts.values()]
    .filter(visible)
    .sort((a, b) => severity[b.level] - severity[a.level] || b.raisedAt.localeCompare(a.raisedAt))
    .map(alert => el('tr', { dataset: { alertId: alert.id, level: alert.level, state: alert.state }, class: alert.id === fresh ? 'fresh' : undefined },
      el('td', {}, levelBadge(alert.level)),
      el('td', {}, alert.deviceId),
      el('td', {}, alert.ruleTitle),
      el('td', {}, alert.value === null || alert.value === undefined ? '—' : `${alert.value} ${alert.unit ?? ''}`),
      el('td', {}, alert.district),
      el('td', { class: 'state' }, stateText(alert)),
      el('td', { class: 'units' }, unitsText(alert)),
      el('td', {}, when(alert.raisedAt)),
      el('td', {}, el('button', { type: 'button', onclick: () => open(alert.id) }, t('Console.Open')))));
  fill(document.getElementById('board'), rows, 9);
  renderSituation();
  renderDots();
}

function renderSituation() {
  const counts = new Map();
  for (const alert of alerts.values()) {
    const row = counts.get(alert.district) ?? { red: 0, orange: 0, yellow: 0, blue: 0 };
    row[alert.level]++;
    counts.set(alert.district, row);
  }
  for (const tr of document.querySelectorAll('#situation tr')) {
    const row = counts.get(tr.dataset.district) ?? { red: 0, orange: 0, yellow: 0, blue: 0 };
    let total = 0;
    for (const td of tr.querySelectorAll('td')) {
      if (td.dataset.level === 'total') td.textContent = String(total);
      else { td.textContent = String(row[td.dataset.level]); total += row[td.dataset.level]; }
    }
    const g = document.getElementById(`map-${tr.dataset.district}`);
    const highest = ['red', 'orange', 'yellow', 'blue'].find(level => row[level] > 0) ?? '';
    g.dataset.level = highest;
    g.querySelector('text.count').textContent = total ? t('Console.Count', total) : '';
  }
}

/** Where a location falls in its district's box: the same sum as CityDistricts.Place on the server. */
function place(g, lon, lat) {
  const [x, y, width, height] = g.dataset.box.split(' ').map(Number);
  const [west, south, east, north] = g.dataset.extent.split(' ').map(Number);
  const margin = 8;
  const clamp = (value, low, high) => Math.min(Math.max(value, low), high);
  return [
    clamp(x + (lon - west) / (east - west) * width, x + margin, x + width - margin),
    clamp(y + (north - lat) / (north - south) * height, y + margin, y + height - margin),
  ];
}

/** A dot per open alert at its device's location, in its level's colour; a click opens the alert. */
function renderDots() {
  const svg = 'http://www.w3.org/2000/svg';
  const dots = [...alerts.values()]
    .filter(alert => alert.location && visible(alert))
    .sort((a, b) => severity[a.level] - severity[b.level])
    .flatMap(alert => {
      const g = document.getElementById(`map-${alert.district.slice(0, 6)}`);
      if (!g) return [];
      const [cx, cy] = place(g, alert.location.lon, alert.location.lat);
      const dot = document.createElementNS(svg, 'circle');
      for (const [name, value] of Object.entries({ cx, cy, r: 7, class: 'dot', 'data-level': alert.level, 'data-alert-id': alert.id, 'data-device': alert.deviceId })) {
        dot.setAttribute(name, String(value));
      }
      const title = document.createElementNS(svg, 'title');
      title.textContent = `${alert.deviceId} · ${t(`Level.${alert.level}`)} · ${alert.ruleTitle}`;
      dot.append(title);
      dot.addEventListener('click', () => open(alert.id));
      return [dot];
    });
  document.getElementById('map-dots').replaceChildren(...dots);
}

async function loadOpen() {
  let cursor = null;
  alerts.clear();
  for (let page = 0; page < 10; page++) {
    const result = await api('GET', '/v1/alerts?open=true&limit=200' + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''));
    for (const alert of result.items) if (!alert.sandbox) alerts.set(alert.id, alert);
    cursor = result.next;
    if (!cursor) break;
  }
  renderBoard();
}

const periods = { '24h': { bucket: 'hour', hours: 24 }, '7d': { bucket: 'day', hours: 7 * 24 }, '30d': { bucket: 'day', hours: 30 * 24 } };

/** Alerts raised per hour or day over the chosen period, counted by the hub, for the district and domain the filters name. */
async function loadTrend() {
  const { bucket, hours } = periods[document.getElementById('trend-period').elements.period.value];
  const f = Object.fromEntries(new FormData(filters));
  const query = new URLSearchParams({
    bucket, from: new Date(Date.now() - hours * 3600 * 1000).toISOString(), offsetMinutes: String(-new Date().getTimezoneOffset()),
  });
  if (f.district) query.set('district', f.district);
  if (f.domain) query.set('domain', f.domain);
  const statistics = await api('GET', `/v1/alerts/statistics?${query}`);
  const buckets = new Map();
  for (const item of statistics.items) {
    const row = buckets.get(item.start) ?? { red: 0, orange: 0, yellow: 0, blue: 0 };
    row[item.level] += item.raised;
    buckets.set(item.start, row);
  }
  const format = bucket === 'hour' ? { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' } : { year: 'numeric', month: '2-digit', day: '2-digit' };
  const rows = [...buckets.entries()].sort((a, b) => Date.parse(b[0]) - Date.parse(a[0])).map(([start, row]) =>
    el('tr', { dataset: { start } }, el('th', { scope: 'row' }, new Date(start).toLocaleString(document.documentElement.lang, format)),
      ...['red', 'orange', 'yellow', 'blue'].map(level => el('td', { dataset: { level } }, String(row[level])))));
  const trend = document.getElementById('trend');
  fill(trend, rows, 5);
  trend.dataset.bucket = bucket;
}

document.getElementById('trend-period').addEventListener('change', () => loadTrend().catch(error => say('board-message', error)));

// A burst of new alerts reloads the counts once, not once per alert.
let trendTimer = null;
function refreshTrendSoon() {
  trendTimer ??= setTimeout(() => {
    trendTimer = null;
    loadTrend().catch(error => say('board-message', error));
  }, 5000);
}

async function open(id) {
  selected = id;
  const detail = await api('GET', `/v1/alerts/${id}`);
  const alert = detail.alert;
  alerts.set(alert.id, alert);
  const section = document.getElementById('detail');
  section.hidden = false;
  section.dataset.alertId = alert.id;
  document.getElementById('detail-heading').replaceChildren(levelBadge(alert.level), ` ${alert.deviceId} · ${alert.ruleTitle} · `, el('span', { class: 'state' }, stateText(alert)));
  document.getElementById('step-buttons').replaceChildren(...steps(alert).map(step =>
    el('button', { type: 'button', class: 'primary', dataset: { step }, onclick: () => act(alert.id, step) }, t(`Console.${step[0].toUpperCase()}${step.slice(1)}`))));
  say('step-message');
  renderUnits(alert);
  fill(document.getElementById('history'), detail.history.map(h =>
    el('tr', {}, el('td', {}, when(h.at)), el('td', {}, `${h.kind} → ${t(`State.${h.state}`)}`), el('td', {}, levelBadge(h.level)), el('td', {}, h.actor), el('td', {}, h.note ?? ''))), 5);
}

/** The alert's responsible units with the steps the person may take for each: their own unit's, or any as the operator. */
function renderUnits(alert) {
  const open = alert.state !== 'closed' && !alert.sandbox;
  fill(document.getElementById('units'), (alert.units ?? []).map(unit => {
    const mine = isOperator() || unit.organizationId === me?.organizationId;
    const actions = open && mine ? [
      unit.state === 'routed' && 'acknowledge',
      working(unit) && 'resolve',
      isOperator() && 'remove',
    ].filter(Boolean) : [];
    return el('tr', { dataset: { unit: unit.organizationId, state: unit.state } },
      el('td', {}, unit.organizationName),
      el('td', {}, t(`Loop.Role.${unit.role}`)),
      el('td', { class: 'state' }, t(`Loop.State.${unit.state}`)),
      el('td', {}, when(unit.acknowledgeBy)),
      el('td', {}, when(unit.resolveBy)),
      el('td', {}, unit.measures ?? ''),
      el('td', {}, ...actions.map(step => el('button', { type: 'button', dataset: { unitStep: step }, onclick: () => unitStep(alert.id, unit.organizationId, step) }, t(`Loop.Step.${step}`)))));
  }), 7);
  document.getElementById('add-unit').hidden = !(open && isOperator());
  say('units-message');
}

/** A unit's step; resolving takes the note as the unit's measures. */
async function unitStep(id, organizationId, step) {
  const note = new FormData(document.getElementById('step')).get('note').trim();
  if (step === 'resolve' && !note) {
    document.getElementById('units-message').textContent = t('Console.NoteRequired');
    return;
  }
  const path = `/v1/alerts/${id}/units/${encodeURIComponent(organizationId)}/${step}`;
  await changeUnits(id, () => api('POST', path, step === 'resolve' ? { measures: note } : { note: note || undefined }));
}

async function changeUnits(id, call) {
  try {
    upsert(await call());
    document.getElementById('step').reset();
    await open(id);
  } catch (error) {
    say('units-message', error);
  }
}

document.getElementById('add-unit').addEventListener('submit', event => {
  event.preventDefault();
  const f = event.target.elements;
  const note = new FormData(document.getElementById('step')).get('note').trim() || undefined;
  changeUnits(selected, () => api('POST', `/v1/alerts/${selected}/units`, { organizationId: f.organizationId.value.trim(), role: f.role.value, note }))
    .then(() => event.target.reset());
});
document.getElementById('reroute').addEventListener('click', () => {
  const note = new FormData(document.getElementById('step')).get('note').trim() || undefined;
  changeUnits(selected, () => api('POST', `/v1/alerts/${selected}/reroute`, { note }));
});

/**
 * Takes a step of the closed loop. `confirm` closes an alert whose condition still holds, which the hub refuses
 * (alert.condition-active) until the operator confirms it with a note: the panel says why and offers that path.
 */
async function act(id, step, confirm = false) {
  const form = Object.fromEntries(new FormData(document.getElementById('step')));
  const message = document.getElementById('board-message');
  const stepMessage = document.getElementById('step-message');
  if ((step === 'resolve' || step === 'override' || confirm) && !form.note.trim()) {
    stepMessage.textContent = t(confirm ? 'Console.CloseNoteRequired' : step === 'override' ? 'Loop.OverrideNoteRequired' : 'Console.NoteRequired');
    return;
  }
  try {
    const body = step === 'dispatch' ? { organizationId: form.organizationId || undefined, note: form.note || undefined }
      : step === 'override' ? { note: form.note, override: true }
      : { note: form.note || undefined, confirm: confirm || undefined };
    const alert = await api('POST', `/v1/alerts/${id}/${step === 'override' ? 'resolve' : step}`, body);
    message.textContent = t('Console.Done', t(`State.${alert.state}`));
    document.getElementById('step').reset();
    upsert(alert);
    await open(id);
  } catch (error) {
    say(stepMessage, error);
    if (error instanceof ApiError && error.problem?.code === 'alert.condition-active') {
      stepMessage.append(el('br'), t('Console.ConditionActive'));
      document.querySelector('#step-buttons [data-step=close-confirm]')?.remove();
      document.getElementById('step-buttons').append(
        el('button', { type: 'button', dataset: { step: 'close-confirm' }, onclick: () => act(id, 'close', true) }, t('Console.CloseAnyway')));
    }
  }
}

function upsert(alert) {
  // The city board shows actual alerts only: a sandbox adapter's drill stays in its organization's workspace.
  if (alert.state === 'closed' || alert.sandbox) alerts.delete(alert.id);
  else alerts.set(alert.id, alert);
  renderBoard(alert.id);
}

function listen() {
  const live = document.getElementById('live');
  const source = new EventSource('/v1/stream?types=alert', { withCredentials: true });
  source.addEventListener('open', () => { live.textContent = t('Console.Live'); live.classList.add('live'); });
  source.addEventListener('error', () => { live.textContent = t('Console.Reconnecting'); live.classList.remove('live'); });
  for (const transition of transitions) {
    source.addEventListener(`city.integrationhub.alert.${transition}.v1`, async event => {
      const id = JSON.parse(event.data).data.alertId;
      try {
        const { alert } = await api('GET', `/v1/alerts/${id}`);
        upsert(alert);
        if (selected === alert.id) await open(alert.id);
        if (transition === 'raised') refreshTrendSoon();
      } catch (error) {
        say('board-message', error);
      }
    });
  }
}

filters.addEventListener('change', () => {
  renderBoard();
  loadTrend().catch(error => say('board-message', error));
});
try {
  me = await currentSession();
  listen(); // before the first load, so that nothing raised in between is missed
  await loadOpen();
  await loadTrend();
} catch (error) {
  say('board-message', error);
}
