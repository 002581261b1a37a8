// The city situation: open alerts counted by level (the tiles), by district and by domain, and the alerts raised over
// time as a stacked chart, counted by the hub, with its table for whoever reads the numbers.
import * as echarts from '../vendor/echarts.esm.min.js';
import { api, domainText, el, fill, say, t } from '../portal.js';
import { alerts, filters, levels, onChange } from './state.js';
import { colours } from './map.js';

const periods = { '24h': { bucket: 'hour', hours: 24 }, '7d': { bucket: 'day', hours: 7 * 24 }, '30d': { bucket: 'day', hours: 30 * 24 } };
let chart = null;

function counts() {
  const zero = () => ({ red: 0, orange: 0, yellow: 0, blue: 0 });
  const byLevel = zero();
  const byDistrict = new Map();
  const byDomain = new Map();
  for (const alert of alerts.values()) {
    byLevel[alert.level]++;
    const district = byDistrict.get(alert.district.slice(0, 6)) ?? zero();
    district[alert.level]++;
    byDistrict.set(alert.district.slice(0, 6), district);
    byDomain.set(alert.domain, (byDomain.get(alert.domain) ?? 0) + 1);
  }
  return { byLevel, byDistrict, byDomain };
}

function render() {
  const { byLevel, byDistrict, byDomain } = counts();
  let total = 0;
  for (const level of levels) {
    document.querySelector(`#level-counts [data-level=${level}] .count`).textContent = String(byLevel[level]);
    total += byLevel[level];
  }
  document.querySelector('#level-counts [data-level=total] .count').textContent = String(total);
  for (const tr of document.querySelectorAll('#situation tr')) {
    const row = byDistrict.get(tr.dataset.district) ?? { red: 0, orange: 0, yellow: 0, blue: 0 };
    let sum = 0;
    for (const td of tr.querySelectorAll('td')) {
      if (td.dataset.level === 'total') td.textContent = String(sum);
      else { td.textContent = String(row[td.dataset.level]); sum += row[td.dataset.level]; }
    }
    tr.classList.toggle('quiet', sum === 0);
  }
  fill(document.getElementById('domains'), [...byDomain.entries()].sort((a, b) => b[1] - a[1]).map(([domain, count]) =>
    el('tr', { dataset: { domain } }, el('th', { scope: 'row' }, domainText(domain)), el('td', {}, String(count)))), 2);
}

/** Every bucket of the period, empty ones too, so that the chart's axis is time and a quiet hour shows as quiet. */
function buckets(bucket, hours) {
  const step = bucket === 'hour' ? 3600e3 : 86400e3;
  const start = new Date(Date.now() - hours * 3600e3);
  if (bucket === 'hour') start.setMinutes(0, 0, 0); else start.setHours(0, 0, 0, 0);
  const list = [];
  for (let at = start.getTime(); at <= Date.now(); at += step) list.push(at);
  return list;
}

/** Alerts raised per hour or day over the chosen period, counted by the hub, for the district and domain filtered. */
export async function loadTrend() {
  const { bucket, hours } = periods[document.getElementById('trend-period').elements.period.value];
  const f = filters();
  const query = new URLSearchParams({
    bucket, from: new Date(Date.now() - hours * 3600 * 1000).toISOString(), offsetMinutes: String(-new Date().getTimezoneOffset()),
  });
  if (f.district) query.set('district', f.district);
  if (f.domain) query.set('domain', f.domain);
  const statistics = await api('GET', `/v1/alerts/statistics?${query}`);
  const raised = new Map();
  for (const item of statistics.items) {
    const row = raised.get(item.start) ?? { red: 0, orange: 0, yellow: 0, blue: 0 };
    row[item.level] += item.raised;
    raised.set(item.start, row);
  }
  const lang = document.documentElement.lang;
  const format = bucket === 'hour' ? { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' } : { year: 'numeric', month: '2-digit', day: '2-digit' };
  const rows = [...raised.entries()].sort((a, b) => Date.parse(b[0]) - Date.parse(a[0])).map(([start, row]) =>
    el('tr', { dataset: { start } }, el('th', { scope: 'row' }, new Date(start).toLocaleString(lang, format)),
      ...levels.map(level => el('td', { dataset: { level } }, String(row[level])))));
  const trend = document.getElementById('trend');
  fill(trend, rows, 5);
  trend.dataset.bucket = bucket;

  // The chart: a stacked bar per bucket, red at the bottom; the hub's buckets are matched by their start time.
  const byTime = new Map([...raised.entries()].map(([start, row]) => [Date.parse(start), row]));
  const times = buckets(bucket, hours);
  const label = bucket === 'hour' ? { hour: '2-digit', minute: '2-digit' } : { month: '2-digit', day: '2-digit' };
  chart ??= echarts.init(document.getElementById('trend-chart'), null, { renderer: 'canvas' });
  chart.setOption({
    animation: false,
    textStyle: { fontSize: 14 },
    grid: { left: 36, right: 8, top: 28, bottom: 28 },
    legend: { top: 0, itemWidth: 14, textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: times.map(at => new Date(at).toLocaleString(lang, label)), axisLabel: { fontSize: 13 } },
    yAxis: { type: 'value', minInterval: 1, axisLabel: { fontSize: 13 } },
    series: levels.map(level => ({
      id: level, name: t(`Level.${level}`), type: 'bar', stack: 'raised', itemStyle: { color: colours[level] },
      data: times.map(at => byTime.get(at)?.[level] ?? 0),
    })),
  }, { notMerge: true });
  document.getElementById('trend-chart').dataset.raised = String([...raised.values()].reduce((sum, row) => sum + levels.reduce((s, l) => s + row[l], 0), 0));
}

// A burst of new alerts reloads the counts once, not once per alert.
let trendTimer = null;
export function refreshTrendSoon() {
  trendTimer ??= setTimeout(() => {
    trendTimer = null;
    loadTrend().catch(error => say('board-message', error));
  }, 5000);
}

export function startSituation() {
  onChange(render);
  document.getElementById('trend-period').addEventListener('change', () => loadTrend().catch(error => say('board-message', error)));
  document.getElementById('filters').addEventListener('change', () => loadTrend().catch(error => say('board-message', error)));
  new ResizeObserver(() => chart?.resize()).observe(document.getElementById('trend-chart'));
}
