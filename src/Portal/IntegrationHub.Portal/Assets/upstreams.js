// The operator's upstream gateway: systems, their routes, credentials and documents, and the latest calls, through
// the admin API with the operator's session. Credentials are sent, never read back: the API does not answer them.
import { api, ApiError, currentSession, el, fill, say, t, when } from './portal.js';

let selected;

const list = text => text.split(/[\s,]+/).map(s => s.trim()).filter(Boolean);

/** The credentials a form's fieldset describes, as the API takes them. */
function credentials(f) {
  const kind = f.kind.value;
  if (kind === 'header') return { kind, header: f.header.value, value: f.value.value };
  if (kind === 'oauth2') return { kind, tokenEndpoint: f.tokenEndpoint.value, clientId: f.clientId.value, clientSecret: f.clientSecret.value, scope: f.scope.value || undefined };
  return { kind };
}

async function loadSystems() {
  const systems = await api('GET', '/v1/upstreams');
  fill(document.getElementById('systems'), systems.map(s => el('tr', { dataset: { systemId: s.id, health: s.health } },
    el('td', {}, el('code', {}, s.id)), el('td', {}, s.name), el('td', {}, el('code', {}, s.baseAddress)),
    el('td', { class: 'health' }, t(`Api.Health.${s.health}`)),
    el('td', {}, `${t(`Api.Kind.${s.credentials.kind}`)} · v${s.credentials.version}`),
    el('td', {},
      el('button', { type: 'button', dataset: { action: 'show' }, onclick: () => select(s) }, t('Api.Show')), ' ',
      el('button', { type: 'button', dataset: { action: 'delete' }, onclick: () => remove(s) }, t('Api.Delete'))))), 6);
}

async function select(system) {
  selected = system;
  document.getElementById('system-section').hidden = false;
  document.getElementById('system-heading').textContent = t('Api.SystemHeading', system.name, system.id);
  await Promise.all([loadRoutes(), loadCalls()]);
}

async function loadRoutes() {
  const routes = await api('GET', `/v1/upstreams/${encodeURIComponent(selected.id)}/routes`);
  fill(document.getElementById('routes'), routes.map(r => el('tr', { dataset: { routeId: r.id } },
    el('td', {}, el('code', {}, r.id)), el('td', {}, el('code', {}, r.path)), el('td', {}, r.methods.join(' ')), el('td', {}, r.scopes.join(', ')),
    el('td', {}, r.organizations.join(', ')), el('td', {}, String(r.requestsPerMinute)),
    el('td', {}, el('button', { type: 'button', onclick: () => closeRoute(r) }, t('Api.Close'))))), 7);
}

async function loadCalls() {
  const calls = await api('GET', `/v1/upstream-calls?system=${encodeURIComponent(selected.id)}&limit=20`);
  fill(document.getElementById('calls'), calls.items.map(c => el('tr', {},
    el('td', {}, when(c.at)), el('td', {}, c.clientId ?? '—'), el('td', {}, c.routeId), el('td', {}, el('code', {}, `${c.method} ${c.path}`)),
    el('td', {}, `${c.status} ${c.outcome}`), el('td', {}, `${c.durationMs.toFixed(1)} ms`))), 6);
}

/** Runs a change and reports it in the system section; the lists are read again afterwards. */
async function change(area, action) {
  try {
    await action();
    say(area);
  } catch (error) {
    say(area, error);
    if (!(error instanceof ApiError)) throw error;
  }
}

async function closeRoute(route) {
  await change('system-message', async () => {
    await api('DELETE', `/v1/upstreams/${encodeURIComponent(selected.id)}/routes/${encodeURIComponent(route.id)}`);
    await loadRoutes();
  });
}

async function remove(system) {
  await change('systems-message', async () => {
    await api('DELETE', `/v1/upstreams/${encodeURIComponent(system.id)}`);
    if (selected?.id === system.id) document.getElementById('system-section').hidden = true;
    await loadSystems();
  });
}

document.getElementById('new-system').addEventListener('submit', async event => {
  event.preventDefault();
  const f = event.target.elements;
  await change('systems-message', async () => {
    await api('POST', '/v1/upstreams', {
      id: f.id.value, name: f.name.value, baseAddress: f.baseAddress.value, timeoutSeconds: Number(f.timeoutSeconds.value) || undefined,
      healthCheck: f.healthPath.value ? { path: f.healthPath.value } : undefined, credentials: credentials(f),
    });
    event.target.reset();
    await loadSystems();
  });
});

document.getElementById('new-route').addEventListener('submit', async event => {
  event.preventDefault();
  const f = event.target.elements;
  await change('system-message', async () => {
    await api('POST', `/v1/upstreams/${encodeURIComponent(selected.id)}/routes`, {
      id: f.id.value, pathPrefix: f.pathPrefix.value, methods: list(f.methods.value.toUpperCase()), scopes: list(f.scopes.value),
      organizations: list(f.organizations.value), requestsPerMinute: Number(f.requestsPerMinute.value) || undefined,
    });
    event.target.reset();
    await loadRoutes();
  });
});

document.getElementById('rotate').addEventListener('submit', async event => {
  event.preventDefault();
  await change('system-message', async () => {
    await api('PUT', `/v1/upstreams/${encodeURIComponent(selected.id)}/credentials`, credentials(event.target.elements));
    event.target.reset();
    await loadSystems();
  });
});

document.getElementById('document').addEventListener('submit', async event => {
  event.preventDefault();
  await change('system-message', async () => {
    await api('PUT', `/v1/upstreams/${encodeURIComponent(selected.id)}/openapi`, event.target.elements.document.value);
    event.target.reset();
    await loadSystems();
  });
});

try {
  await currentSession();
  await loadSystems();
} catch (error) {
  say('systems-message', error);
}
