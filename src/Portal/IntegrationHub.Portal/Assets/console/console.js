// The operator console's entry: the modules of this folder, started in order (README.md says what each does). The
// board, map and situation render from one picture of the open alerts (state.js); the stream keeps it live.
import { api, currentSession, el, fill, inactiveLevels, districtNames, say, t } from '../portal.js';
import { alerts, changed, filters, learnRules, needsAttention, put, setViewer } from './state.js';
import { onOpen as boardOpens, startBoard } from './board.js';
import { open, selectedId, startDrawer } from './drawer.js';
import { sound, startAlarm } from './alarm.js';
import { listen } from './stream.js';
import { startUnits } from './units.js';
import { startCommands } from './commands.js';
import { loadWarnings, onOpen as mapOpens, startMap } from './map.js';
import { loadTrend, refreshTrendSoon, startSituation } from './situation.js';

const districtName = await districtNames();
const report = error => say('board-message', error);

/** Every open actual alert, afresh: at the start, and after a reconnect that could not resume. */
async function loadOpen() {
  let cursor = null;
  const loaded = [];
  for (let page = 0; page < 10; page++) {
    const result = await api('GET', '/v1/alerts?open=true&limit=200' + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''));
    loaded.push(...result.items);
    cursor = result.next;
    if (!cursor) break;
  }
  await learnRules(loaded);
  alerts.clear();
  for (const alert of loaded) put(alert);
  changed();
}

/** One alert changed on the hub: fetch it as it is now; a new or newly severe red or orange one sounds. */
async function onAlert(transition, id) {
  try {
    const { alert } = await api('GET', `/v1/alerts/${id}`);
    await learnRules([alert]);
    const before = alerts.get(alert.id);
    const shown = put(alert);
    changed(alert.id);
    if (shown && needsAttention(alert) && (!before || before.level !== alert.level || !needsAttention(before))) {
      sound(alert.level);
      say('board-message');
      document.getElementById('board-message').textContent = t('Console.NewAlert', t(`Level.${alert.level}`), alert.deviceId);
    }
    if (selectedId() === alert.id) await open(alert.id);
    if (transition === 'raised') refreshTrendSoon();
  } catch (error) {
    report(error);
  }
}

/** The devices whose warning levels cannot be raised for want of a site parameter, in the board's district and domain. */
async function loadInactive() {
  const f = filters();
  const query = new URLSearchParams({ limit: '200' });
  if (f.district) query.set('district', f.district);
  if (f.domain) query.set('domain', f.domain);
  const page = await api('GET', `/v1/devices/inactive-levels?${query}`);
  document.getElementById('inactive-count').textContent = `(${page.items.length})`;
  // Levels that can never be raised are a gap in the city's watch: the list opens by itself while there are any.
  const section = document.getElementById('inactive-section');
  if (!section.dataset.seen) {
    section.open = page.items.length > 0;
    section.dataset.seen = 'true';
  }
  fill(document.getElementById('inactive'), page.items.map(d => el('tr', { dataset: { deviceId: d.deviceId, organizationId: d.organizationId } },
    el('td', {}, el('code', {}, d.deviceId), ` · ${d.organizationId}`), el('td', {}, d.profile), el('td', { dataset: { district: d.district } }, districtName(d.district)), el('td', {}, inactiveLevels(d.warnings)))), 4);
}

/** Full screen hides the portal's chrome: the wall shows only the console. */
function startFullScreen() {
  const button = document.getElementById('fullscreen');
  const show = () => {
    const full = document.body.classList.contains('full');
    button.setAttribute('aria-pressed', String(full));
    button.textContent = t(full ? 'Console.ExitFullScreen' : 'Console.FullScreen');
  };
  button.addEventListener('click', async () => {
    const full = document.body.classList.toggle('full');
    // The browser's own full screen where it allows it; the page's chrome is hidden either way.
    try {
      if (full && !document.fullscreenElement) await document.documentElement.requestFullscreen?.();
      if (!full && document.fullscreenElement) await document.exitFullscreen();
    } catch { /* refused (a kiosk, a test browser): the page-level full screen still applies */ }
    show();
  });
  document.addEventListener('fullscreenchange', () => {
    if (!document.fullscreenElement) document.body.classList.remove('full');
    show();
  });
}

boardOpens(id => open(id).catch(report));
mapOpens(id => open(id).catch(report));
startBoard();
startUnits();
startCommands();
startDrawer();
startAlarm();
startSituation();
startFullScreen();
document.getElementById('inactive-refresh').addEventListener('click', () => loadInactive().catch(report));
document.getElementById('filters').addEventListener('change', () => loadInactive().catch(report));
try {
  setViewer(await currentSession());
  await startMap();
  // The stream opens before the first load, so that nothing raised in between is missed.
  listen({ alert: onAlert, warning: () => loadWarnings().catch(report), reload: () => loadOpen().catch(report) });
  await loadOpen();
  await loadTrend();
  await loadInactive();
} catch (error) {
  report(error);
}
