// The operator console: the open alerts, live over server-sent events, with the closed-loop steps, the city
// situation and the schematic map, all from the API with the person's session.
import { ApiError, api, currentSession, districtCell, districtNames, el, fill, inactiveLevels, levelBadge, say, t, when } from './portal.js';

const severity = { red: 4, orange: 3, yellow: 2, blue: 1 };
const transitions = ['raised', 'escalated', 'deescalated', 'cleared', 'reopened', 'renotified', 'acknowledged', 'dispatched', 'resolved', 'closed'];
const alerts = new Map();
const districtName = await districtNames();
const filters = document.getElementById('filters');
let selected = null;

function visible(alert) {
  const f = Object.fromEntries(new FormData(filters));
  return (!f.district || alert.district.startsWith(f.district)) && (!f.domain || alert.domain === f.domain) && (!f.level || alert.level === f.level);
}

/** The steps an alert can take next, as the hub allows them. */
function steps(alert) {
  const open = ['raised', 'acknowledged', 'dispatched'].includes(alert.state);
  return [
    alert.state === 'raised' && 'acknowledge',
    open && 'dispatch',
    open && 'resolve',
    (alert.state === 'resolved' || (alert.cleared && alert.state !== 'closed')) && 'close',
  ].filter(Boolean);
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
      districtCell(districtName, alert.district),
      el('td', { class: 'state' }, stateText(alert)),
      el('td', {}, when(alert.raisedAt)),
      el('td', {}, el('button', { type: 'button', onclick: () => open(alert.id) }, t('Console.Open')))));
  fill(document.getElementById('board'), rows, 8);
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
  fill(document.getElementById('history'), detail.history.map(h =>
    el('tr', {}, el('td', {}, when(h.at)), el('td', {}, `${h.kind} → ${t(`State.${h.state}`)}`), el('td', {}, levelBadge(h.level)), el('td', {}, h.actor), el('td', {}, h.note ?? ''))), 5);
}

/**
 * Takes a step of the closed loop. `confirm` closes an alert whose condition still holds, which the hub refuses
 * (alert.condition-active) until the operator confirms it with a note: the panel says why and offers that path.
 */
async function act(id, step, confirm = false) {
  const form = Object.fromEntries(new FormData(document.getElementById('step')));
  const message = document.getElementById('board-message');
  const stepMessage = document.getElementById('step-message');
  if ((step === 'resolve' || confirm) && !form.note.trim()) {
    stepMessage.textContent = t(confirm ? 'Console.CloseNoteRequired' : 'Console.NoteRequired');
    return;
  }
  try {
    const body = step === 'dispatch' ? { organizationId: form.organizationId || undefined, note: form.note || undefined }
      : { note: form.note || undefined, confirm: confirm || undefined };
    const alert = await api('POST', `/v1/alerts/${id}/${step}`, body);
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

/** Shows whether the board is live: in words and in colour, so that a stale board never passes for a live one. */
function showConnection(state) {
  const live = document.getElementById('live');
  live.dataset.state = state;
  live.textContent = t(state === 'live' ? 'Console.Live' : 'Console.Disconnected');
  live.classList.toggle('live', state === 'live');
  live.classList.toggle('offline', state !== 'live');
}

/**
 * The alert stream. The browser reconnects a dropped stream by itself, with Last-Event-ID; a stream it gave up on
 * (the hub was stopping and refused it, or the session ended) is opened again with backoff, and the board reloaded,
 * since events may have passed meanwhile.
 */
function listen(retry = 1000, reload = false) {
  const source = new EventSource('/v1/stream?types=alert', { withCredentials: true });
  source.addEventListener('open', () => {
    showConnection('live');
    retry = 1000;
    if (reload) {
      reload = false;
      loadOpen().catch(error => say('board-message', error));
    }
  });
  source.addEventListener('error', () => {
    showConnection('disconnected');
    if (source.readyState === EventSource.CLOSED) {
      setTimeout(() => listen(Math.min(retry * 2, 30000), true), retry);
    }
  });
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

/** The devices whose warning levels cannot be raised for want of a site parameter, in the board's district and domain. */
async function loadInactive() {
  const f = Object.fromEntries(new FormData(filters));
  const query = new URLSearchParams({ limit: '200' });
  if (f.district) query.set('district', f.district);
  if (f.domain) query.set('domain', f.domain);
  const page = await api('GET', `/v1/devices/inactive-levels?${query}`);
  fill(document.getElementById('inactive'), page.items.map(d => el('tr', { dataset: { deviceId: d.deviceId, organizationId: d.organizationId } },
    el('td', {}, el('code', {}, d.deviceId), ` · ${d.organizationId}`), el('td', {}, d.profile), el('td', {}, d.district), el('td', {}, inactiveLevels(d.warnings)))), 4);
}

document.getElementById('inactive-refresh').addEventListener('click', () => loadInactive().catch(error => say('board-message', error)));
filters.addEventListener('change', () => {
  renderBoard();
  loadTrend().catch(error => say('board-message', error));
  loadInactive().catch(error => say('board-message', error));
});
try {
  await currentSession();
  listen(); // before the first load, so that nothing raised in between is missed
  await loadOpen();
  await loadTrend();
  await loadInactive();
} catch (error) {
  say('board-message', error);
}
