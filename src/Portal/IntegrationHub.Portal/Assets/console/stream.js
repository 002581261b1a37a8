// The live connection: server-sent events of alert changes and agencies' warnings. While it is down the board is
// greyed and a banner says since when; when it is back, the stream resumes after the last event the page saw
// (Last-Event-ID), so every change made meanwhile arrives, in order, and nothing is missed.
import { t } from '../portal.js';

const transitions = ['raised', 'escalated', 'deescalated', 'cleared', 'reopened', 'renotified', 'acknowledged', 'dispatched', 'resolved', 'closed',
  'unit.added', 'unit.removed', 'rerouted', 'unit.acknowledged', 'unit.resolved', 'assigned', 'commented', 'supervised', 'context'];

let lastEventId = null;
let downSince = null;
let caughtUp = 0;

function show(state) {
  const live = document.getElementById('live');
  live.dataset.state = state;
  live.textContent = t(state === 'live' ? 'Console.Live' : 'Console.Disconnected');
  live.classList.toggle('live', state === 'live');
  live.classList.toggle('offline', state !== 'live');
  const banner = document.getElementById('banner');
  const wall = document.getElementById('wall');
  if (state === 'live') {
    wall.classList.remove('stale');
    document.body.dataset.connection = 'live';
    if (downSince) {
      banner.dataset.state = 'reconnected';
      banner.textContent = t('Console.Reconnected', new Date(downSince).toLocaleTimeString(document.documentElement.lang));
      setTimeout(() => { if (banner.dataset.state === 'reconnected') banner.hidden = true; }, 10000);
    }
    downSince = null;
  } else {
    downSince ??= Date.now();
    wall.classList.add('stale');
    document.body.dataset.connection = 'disconnected';
    banner.hidden = false;
    banner.dataset.state = 'disconnected';
    banner.textContent = t('Console.Banner', new Date(downSince).toLocaleTimeString(document.documentElement.lang));
  }
}

/**
 * Opens the stream and hands each event to `on.alert(type, alertId)` or `on.warning()`. The browser reconnects a
 * dropped stream by itself with Last-Event-ID; a stream it gave up on (the hub refused it while stopping) is opened
 * again with backoff, resuming after the last event seen, or, when there is none, with `on.reload()`.
 */
export function listen(on, retry = 1000) {
  const query = new URLSearchParams([['types', 'alert'], ['types', 'warning']]);
  if (lastEventId) query.set('lastEventId', lastEventId);
  const source = new EventSource(`/v1/stream?${query}`, { withCredentials: true });
  let opened = false;
  source.addEventListener('open', () => {
    const wasDown = downSince !== null;
    opened = true;
    retry = 1000;
    caughtUp = 0;
    show('live');
    if (wasDown && !lastEventId) on.reload();
  });
  source.addEventListener('error', () => {
    show('disconnected');
    if (source.readyState === EventSource.CLOSED) {
      source.close();
      // A resume point the hub no longer keeps is refused before the stream opens: start afresh from a reload.
      if (!opened && lastEventId && retry >= 8000) lastEventId = null;
      setTimeout(() => listen(on, Math.min(retry * 2, 30000)), retry);
    }
  });
  const seen = event => {
    lastEventId = event.lastEventId || lastEventId;
    caughtUp++;
    document.getElementById('live').dataset.lastEventId = lastEventId ?? '';
  };
  for (const transition of transitions) {
    source.addEventListener(`city.integrationhub.alert.${transition}.v1`, event => {
      seen(event);
      on.alert(transition, JSON.parse(event.data).data.alertId);
    });
  }
  source.addEventListener('city.integrationhub.warning.v1', event => {
    seen(event);
    on.warning();
  });
}

/** Events received since the stream last opened (after a reconnect: the ones it caught up). */
export const received = () => caughtUp;
