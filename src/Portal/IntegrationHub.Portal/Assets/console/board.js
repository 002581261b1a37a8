// The live board: one row per open alert, the most severe and newest first; a card per alert on a narrow screen. Its
// columns are a list (columns), so that a later panel adds its own with addColumn instead of rewriting this file.
import { ago, districtNames, el, fill, levelBadge, span, t, valueText, when } from '../portal.js';
import { alerts, changed, needsAttention, onChange, ruleText, severity, visible } from './state.js';

const districtName = await districtNames();
let opener = () => {};

/** What opens an alert in the drawer (set by console.js). */
export function onOpen(open) {
  opener = open;
}

export function stateText(alert) {
  return t(`State.${alert.state}`) + (alert.cleared ? ` (${t('State.cleared')})` : '');
}

/** A time on the board: the time of day today, with the date otherwise (the drawer has the full time). */
function clock(at, now) {
  const time = new Date(at);
  const today = time.toDateString() === new Date(now).toDateString();
  const lang = document.documentElement.lang || undefined;
  return today ? time.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' })
    : time.toLocaleString(lang, { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** A deadline's countdown: time left, or how long overdue in red; nothing once the step is taken. */
function deadline(at, now) {
  if (!at) return { text: '—', overdue: false };
  const left = Date.parse(at) - now;
  return left >= 0 ? { text: t('Console.Left', span(left)), overdue: false } : { text: t('Console.Overdue', span(-left)), overdue: true };
}

function countdownCell(key, at, now) {
  const { text, overdue } = deadline(at, now);
  return el('td', { class: `countdown ${overdue ? 'overdue' : ''}`.trim(), dataset: { at: at ?? '', countdown: key } }, text);
}

export const columns = [
  { key: 'level', label: 'Common.Level', cell: a => el('td', { class: 'level-cell' }, levelBadge(a.level)) },
  { key: 'device', label: 'Console.DeviceOrSite', cell: a => el('td', { class: 'device' }, el('span', { class: 'device-id' }, a.deviceId), el('span', { class: 'organization' }, a.organizationId)) },
  { key: 'rule', label: 'Console.Rule', cell: a => el('td', { class: 'rule' }, ruleText(a)) },
  { key: 'value', label: 'Console.Value', cell: a => el('td', { class: 'value' }, valueText(a.value, a.unit)) },
  { key: 'district', label: 'Common.District', cell: a => el('td', { dataset: { district: a.district } }, districtName(a.district)) },
  { key: 'state', label: 'Common.State', cell: a => el('td', { class: 'state' }, stateText(a)) },
  { key: 'raised', label: 'Console.RaisedAt', cell: (a, now) => el('td', { class: 'raised' }, el('span', { class: 'age', dataset: { since: a.raisedAt } }, ago(a.raisedAt, now)), el('time', { datetime: a.raisedAt, title: when(a.raisedAt) }, clock(a.raisedAt, now))) },
  { key: 'acknowledgeBy', label: 'Console.AcknowledgeBy', cell: (a, now) => countdownCell('acknowledge', a.acknowledgeBy, now) },
  { key: 'resolveBy', label: 'Console.ResolveBy', cell: (a, now) => countdownCell('resolve', a.resolveBy, now) },
];

/** Adds a column before the one named `before` (or at the end): a label key and a cell for an alert. */
export function addColumn(column, before) {
  const at = columns.findIndex(c => c.key === before);
  columns.splice(at < 0 ? columns.length : at, 0, column);
  renderHead();
}

function renderHead() {
  document.getElementById('board-head').replaceChildren(el('tr', {}, columns.map(c => el('th', { scope: 'col', dataset: { column: c.key } }, t(c.label)))));
}

function row(alert, fresh, now) {
  const cells = columns.map(c => {
    const td = c.cell(alert, now);
    td.dataset.label = t(c.label); // the card layout's caption for the cell
    return td;
  });
  const tr = el('tr', {
    tabindex: 0,
    'aria-label': `${t(`Level.${alert.level}`)} · ${alert.deviceId} · ${ruleText(alert)}`,
    dataset: { alertId: alert.id, level: alert.level, state: alert.state },
    class: [needsAttention(alert) && 'flash', alert.id === fresh && 'fresh'].filter(Boolean).join(' ') || undefined,
  }, cells);
  tr.addEventListener('click', () => opener(alert.id));
  tr.addEventListener('keydown', event => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      opener(alert.id);
    }
  });
  return tr;
}

function render(fresh) {
  const now = Date.now();
  const rows = [...alerts.values()]
    .filter(a => visible(a))
    .sort((a, b) => severity[b.level] - severity[a.level] || b.raisedAt.localeCompare(a.raisedAt))
    .map(a => row(a, fresh, now));
  fill(document.getElementById('board'), rows, columns.length);
}

/** Ages and countdowns move on without a reload; a countdown turns red the moment it is overdue. */
function tick() {
  const now = Date.now();
  for (const age of document.querySelectorAll('#board .age')) age.textContent = ago(age.dataset.since, now);
  for (const td of document.querySelectorAll('#board td.countdown')) {
    const { text, overdue } = deadline(td.dataset.at || null, now);
    td.textContent = text;
    td.classList.toggle('overdue', overdue);
  }
}

export function startBoard() {
  renderHead();
  onChange(render);
  document.getElementById('filters').addEventListener('change', () => changed());
  setInterval(tick, 15000);
}
