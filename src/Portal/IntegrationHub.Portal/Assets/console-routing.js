// The routing table (LOOP-001): which responsible units receive which alerts. Everyone who reads alerts sees it and
// may preview where an alert would go; the operator adds and removes lines (each change is audited by the hub).
import { api, currentSession, el, fill, say, t } from './portal.js';

let me = null;
const isOperator = () => me?.organizationKind === 'operator';

async function loadRoutes() {
  const domain = document.getElementById('route-filter').elements.domain.value;
  const routes = await api('GET', '/v1/routes' + (domain ? `?domain=${encodeURIComponent(domain)}` : ''));
  fill(document.getElementById('routes'), routes.map(route => el('tr', { dataset: { routeId: route.id, domain: route.domain } },
    el('td', {}, route.domain),
    el('td', {}, route.district ?? t('Common.All')),
    el('td', {}, route.profile ?? t('Common.All')),
    el('td', {}, route.minLevel ? t(`Level.${route.minLevel}`) : t('Common.All')),
    el('td', { class: 'unit' }, route.target === 'district' ? t('Loop.Routing.Target.district') : `${route.organizationName ?? ''} (${route.organizationId})`),
    el('td', {}, t(`Loop.Role.${route.role}`)),
    el('td', {}, route.note ?? ''),
    el('td', {}, route.updatedBy.name ?? route.updatedBy.id),
    el('td', {}, isOperator() && el('button', { type: 'button', dataset: { delete: route.id }, onclick: () => remove(route.id) }, t('Loop.Routing.Delete'))))), 9);
}

async function remove(id) {
  try {
    await api('DELETE', `/v1/routes/${id}`);
    say('routes-message');
    await loadRoutes();
  } catch (error) {
    say('routes-message', error);
  }
}

document.getElementById('route-filter').addEventListener('change', () => loadRoutes().catch(error => say('routes-message', error)));

document.getElementById('new-route').addEventListener('submit', async event => {
  event.preventDefault();
  const f = Object.fromEntries(new FormData(event.target));
  const body = { domain: f.domain, role: f.role, target: f.target };
  for (const name of ['district', 'profile', 'minLevel', 'note']) if (f[name]) body[name] = f[name];
  if (f.target === 'organization') body.organizationId = f.organizationId.trim();
  try {
    await api('POST', '/v1/routes', body);
    say('new-route-message');
    event.target.reset();
    await loadRoutes();
  } catch (error) {
    say('new-route-message', error);
  }
});

document.getElementById('match').addEventListener('submit', async event => {
  event.preventDefault();
  const query = new URLSearchParams(new FormData(event.target));
  try {
    const match = await api('GET', `/v1/routes/match?${query}`);
    document.getElementById('matched').replaceChildren(...(match.units.length
      ? match.units.map(u => el('li', { dataset: { unit: u.organizationId } }, `${u.organizationName ?? u.organizationId} · ${t(`Loop.Role.${u.role}`)}`))
      : [el('li', {}, t('Common.None'))]));
    say('match-message');
  } catch (error) {
    say('match-message', error);
  }
});

try {
  me = await currentSession();
  document.getElementById('new-route-section').hidden = !isOperator();
  await loadRoutes();
} catch (error) {
  say('routes-message', error);
}
