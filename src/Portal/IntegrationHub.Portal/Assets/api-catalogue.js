// The API catalogue: what the person's organization may call through the hub, by system, read with the session.
import { api, currentSession, el, say, t } from './portal.js';

function system(s) {
  return el('section', { class: 'upstream', dataset: { systemId: s.id }, 'aria-labelledby': `system-${s.id}` },
    el('h2', { id: `system-${s.id}` }, s.name, ' ', el('code', {}, s.id), ' ', el('span', { class: 'status' }, t(`Api.Health.${s.health}`))),
    el('table', {},
      el('thead', {}, el('tr', {}, ...['Api.Path', 'Api.Methods', 'Api.Scopes', 'Api.PerMinute', 'Api.Description'].map(k => el('th', { scope: 'col' }, t(k))))),
      el('tbody', {}, s.routes.map(r => el('tr', { dataset: { routeId: r.id } },
        el('td', {}, el('code', {}, r.path + '/…')), el('td', {}, r.methods.join(' ')), el('td', {}, r.scopes.join(', ')),
        el('td', {}, String(r.requestsPerMinute)), el('td', {}, r.description ?? '—'))))),
    s.documentUrl
      ? el('p', {}, el('a', { href: `/developer/apis/${encodeURIComponent(s.id)}`, class: 'docs-link' }, t('Api.OpenDocs')))
      : el('p', { class: 'status' }, t('Api.NoDocs')));
}

try {
  await currentSession();
  const catalogue = await api('GET', '/v1/api-catalogue');
  const systems = document.getElementById('systems');
  systems.replaceChildren(...(catalogue.systems.length ? catalogue.systems.map(system) : [el('p', {}, t('Api.Empty'))]));
} catch (error) {
  say('catalogue-message', error);
}
