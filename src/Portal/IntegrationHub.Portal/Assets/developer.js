// An organization's developer workspace: adapters, devices, the quarantine, certification sessions and subscriptions,
// from the API with the person's session. Secrets are shown once, in the page, and never stored by it.
import { ago, api, copyButton, currentSession, districtCell, districtNames, el, fill, inactiveLevels, levelBadge, profile, ruleTitle, say, t, titleOf, valueText, when } from './portal.js';

const { id: me, organizationId, name, email, scopes } = await currentSession();
document.getElementById('who').textContent = `${name} <${email}> · ${organizationId}`;
const adapterSelect = document.getElementById('device-adapter');

function showSecret(credentials) {
  document.getElementById('secret-client-id').textContent = credentials.clientId;
  document.getElementById('secret-value').textContent = credentials.clientSecret;
  document.getElementById('secret-endpoint').textContent = new URL(credentials.tokenEndpoint, location.origin).href;
  document.getElementById('secret-copy').replaceChildren(copyButton(credentials.clientSecret));
  document.getElementById('secret').hidden = false;
}

async function loadAdapters() {
  const adapters = await api('GET', `/v1/organizations/${encodeURIComponent(organizationId)}/adapters`);
  fill(document.getElementById('adapters'), adapters.map(adapter => el('tr', { dataset: { adapterId: adapter.id } },
    el('td', {}, el('code', {}, adapter.id)),
    el('td', {}, adapter.name),
    el('td', { class: 'adapter-status' }, adapter.status),
    el('td', {}, (adapter.allowedProfiles ?? []).join(', ') || t('Common.All')),
    el('td', {},
      el('button', { type: 'button', onclick: () => rotate(adapter.id) }, t('Dev.Rotate')), ' ',
      adapter.status !== 'suspended' && el('button', { type: 'button', onclick: () => revoke(adapter.id) }, t('Dev.Revoke'))))), 5);
  const chosen = adapterSelect.value;
  adapterSelect.replaceChildren(...adapters.map(a => el('option', { value: a.id, selected: a.id === chosen }, a.id)));
  await loadDevices();
}

async function rotate(id) {
  if (!confirm(t('Dev.ConfirmRotate', id))) return;
  try {
    showSecret(await api('POST', `/v1/adapters/${encodeURIComponent(id)}/secret`));
  } catch (error) {
    say('adapters-message', error);
  }
}

async function revoke(id) {
  if (!confirm(t('Dev.ConfirmRevoke', id))) return;
  try {
    await api('POST', `/v1/adapters/${encodeURIComponent(id)}/suspend`, { note: 'revoked in the developer portal' });
    await loadAdapters();
  } catch (error) {
    say('adapters-message', error);
  }
}

document.getElementById('register-adapter').addEventListener('submit', async event => {
  event.preventDefault();
  const form = event.target;
  const profiles = [...form.elements.allowedProfiles.selectedOptions].map(o => o.value);
  try {
    const created = await api('POST', `/v1/organizations/${encodeURIComponent(organizationId)}/adapters`,
      { id: form.elements.id.value, name: form.elements.name.value, allowedProfiles: profiles.length ? profiles : undefined });
    say('adapters-message');
    showSecret(created);
    form.reset();
    await loadAdapters();
  } catch (error) {
    say('adapters-message', error);
  }
});

async function loadDevices() {
  const adapter = adapterSelect.value;
  if (!adapter) {
    fill(document.getElementById('devices'), [], 9);
    return;
  }
  const page = await api('GET', `/v1/adapters/${encodeURIComponent(adapter)}/devices?limit=200`);
  const districtName = await districtNames();
  const latest = await latestValues();
  const rows = await Promise.all(page.items.map(async d => {
    const values = latest.get(d.deviceId) ?? [];
    const spec = await profile(d.profile);
    const seen = values.reduce((last, o) => (!last || o.receivedAt > last ? o.receivedAt : last), null);
    return el('tr', { dataset: { deviceId: d.deviceId } },
      el('td', {}, el('code', {}, d.deviceId)), el('td', {}, d.profile), districtCell(districtName, d.district),
      el('td', {}, d.location.lon), el('td', {}, d.location.lat), el('td', {}, d.name ?? ''),
      el('td', { class: 'last-seen' }, seen ? el('time', { datetime: seen, title: when(seen) }, ago(seen)) : t('Dev.NeverSeen')),
      el('td', {}, el('ul', { class: 'latest' }, values.map(o => el('li', { dataset: { metric: o.metric } },
        `${titleOf(spec?.metrics?.[o.metric], o.metric)}: `, el('strong', {}, valueText(o.value, o.unit)))))),
      el('td', {}, inactiveLevels(d.warnings)));
  }));
  fill(document.getElementById('devices'), rows, 9);
}

/** The latest value of each of the organization's devices' metrics, by device. */
async function latestValues() {
  const byDevice = new Map();
  try {
    const page = await api('GET', `/v1/telemetry/latest?organization=${encodeURIComponent(organizationId)}&limit=1000`);
    for (const o of page.items) byDevice.set(o.deviceId, [...(byDevice.get(o.deviceId) ?? []), o]);
  } catch {
    // Without telemetry:read the workspace still lists the devices; their values stay empty.
  }
  return byDevice;
}

adapterSelect.addEventListener('change', () => loadDevices().catch(error => say('devices-message', error)));

document.getElementById('register-device').addEventListener('submit', async event => {
  event.preventDefault();
  const f = event.target.elements;
  try {
    const device = await api('POST', `/v1/adapters/${encodeURIComponent(adapterSelect.value)}/devices`, {
      deviceId: f.deviceId.value, profile: f.profile.value, district: f.district.value, name: f.name.value || undefined,
      location: { lon: Number(f.lon.value), lat: Number(f.lat.value) },
    });
    say('devices-message');
    if (device.warnings?.length) {
      document.getElementById('devices-message').textContent = t('Dev.RegisteredWithInactiveLevels', device.warnings.length);
    }
    event.target.reset();
    await loadDevices();
  } catch (error) {
    say('devices-message', error);
  }
});

document.getElementById('import-devices').addEventListener('submit', async event => {
  event.preventDefault();
  const file = event.target.elements.file.files[0];
  try {
    const result = await api('POST', `/v1/adapters/${encodeURIComponent(adapterSelect.value)}/devices/import`, await file.text(), 'text/csv');
    const blind = result.devices.filter(d => d.warnings?.length).length;
    say('devices-message');
    document.getElementById('devices-message').textContent = blind
      ? t('Dev.ImportedWithInactiveLevels', result.registered, blind)
      : t('Dev.Imported', result.registered);
    event.target.reset();
    await loadDevices();
  } catch (error) {
    say('devices-message', error);
  }
});

/** A quarantined message's payload as it was kept: JSON pretty-printed, text as it came, bytes in base64. */
function payloadOf(q) {
  const text = q.payload !== null && q.payload !== undefined ? JSON.stringify(q.payload, null, 2) : q.payloadText ?? q.payloadBytes;
  if (!text) return '—';
  return el('details', { class: 'payload' }, el('summary', {}, t('Dev.ShowPayload')),
    el('pre', {}, el('code', {}, text)), q.payloadTruncated ? el('p', { class: 'status' }, t('Dev.PayloadTruncated')) : '');
}

async function loadQuarantine() {
  const page = await api('GET', '/v1/quarantine?limit=100');
  fill(document.getElementById('quarantine'), page.items.map(q => el('tr', { dataset: { messageId: q.messageId ?? '' } },
    el('td', {}, when(q.receivedAt)), el('td', {}, q.adapterId), el('td', {}, q.messageId ?? '—'), el('td', {}, q.deviceId ?? '—'),
    el('td', {}, el('ul', {}, q.errors.map(e => el('li', {}, el('a', { href: `/docs/errors/${encodeURIComponent(e.code)}` }, el('code', {}, e.code)), ' ', el('code', {}, e.pointer ?? ''), ' ', e.detail ?? '')))),
    el('td', {}, payloadOf(q)))), 6);
}

document.getElementById('quarantine-refresh').addEventListener('click', () => loadQuarantine().catch(error => say('subscriptions-message', error)));

async function loadCertifications() {
  const sessions = await api('GET', '/v1/certifications');
  fill(document.getElementById('certifications'), sessions.map(c => el('tr', { dataset: { certificationId: c.id } },
    el('td', {}, el('code', {}, c.id)), el('td', {}, c.adapterId), el('td', {}, c.instructions.classes.join(', ')),
    el('td', { class: `certification-state ${c.state}` }, t(`Dev.State.${c.state}`)),
    el('td', {}, c.arrivals), el('td', {}, when(c.evaluatedAt)),
    el('td', {}, c.state !== 'open' && el('button', { type: 'button', onclick: () => showReport(c.id) }, t('Dev.ShowReport'))))), 7);
}

/** Decodes one base64url part of a JWS to its exact bytes. */
function base64UrlBytes(part) {
  const text = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
  return Uint8Array.from(text, c => c.charCodeAt(0));
}

function download(link, name, bytes, type) {
  if (link.href.startsWith('blob:')) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([bytes], { type }));
  link.download = name;
}

let reportTexts;

/**
 * The certification checks' texts and the error codes' titles and hints, from the spec (loaded once). A report is
 * signed in English; the page shows it in its own language from the checks' ids and the findings' codes.
 */
function certificationTexts() {
  const spec = path => fetch(`/specs/v1/${path}`, { headers: { Accept: 'application/json' } }).then(response => (response.ok ? response.json() : null));
  reportTexts ??= Promise.all([spec('certification-checks.json'), spec('errors.json')]).then(([checks, errors]) => ({
    checks: new Map((checks?.checks ?? []).map(c => [c.id, c])),
    errors: new Map((errors?.errors ?? []).map(e => [e.code, e])),
  }));
  return reportTexts;
}

/**
 * The values a text of the report carries, found again between the fixed words of the English template it was made
 * from ({device}, {seconds}…); null when the text was not made from it.
 */
function valuesOf(text, template) {
  const named = new Set();
  const pattern = template.split(/(\{[A-Za-z]+\})/).map(part => {
    const name = /^\{([A-Za-z]+)\}$/.exec(part)?.[1];
    if (!name) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (named.has(name)) return `\\k<${name}>`;
    named.add(name);
    return `(?<${name}>[\\s\\S]*?)`;
  }).join('');
  const match = new RegExp(`^${pattern}$`, 'u').exec(text);
  return match ? match.groups ?? {} : null;
}

/** The report's English text in the page's language: the Chinese template filled with the English text's values. */
function translated(text, english, chinese) {
  if (!document.documentElement.lang.startsWith('zh') || !english || !chinese) return text;
  const values = valuesOf(text, english);
  return values ? chinese.replace(/\{([A-Za-z]+)\}/g, (_, name) => values[name]) : text;
}

/** Text whose `backticked` words are code, as the catalogues write them. */
function prose(text) {
  return text.split('`').map((part, i) => (i % 2 ? el('code', {}, part) : part));
}

/**
 * One finding: its code, linked to the code's page, and what is wrong. A finding the check makes itself reads in the
 * page's language from the check's template; one the validator made reads as its code's title, with the validator's
 * own words (English, with the values) beside it.
 */
function reportFinding(f, check, texts) {
  const chinese = document.documentElement.lang.startsWith('zh');
  const error = texts.errors.get(f.code);
  const own = (check?.findings ?? []).filter(x => x.code === f.code).find(x => valuesOf(f.detail, x.detail));
  let what;
  if (own) what = [translated(f.detail, own.detail, own.detailZh)];
  else if (chinese && error?.titleZh) what = [prose(error.titleZh), ' ', el('code', {}, f.pointer), ' ', el('span', { lang: 'en', class: 'status' }, f.detail)];
  else what = [f.detail];
  const hint = (chinese && error?.hintZh) || f.hint;
  return el('li', { dataset: { code: f.code } },
    el('a', { href: `/docs/errors/${encodeURIComponent(f.code)}` }, el('code', {}, f.code)), ' ', el('span', { class: 'finding-detail' }, what),
    hint ? el('div', { class: 'status finding-hint' }, prose(hint)) : null);
}

/** One conformance class of a report: its verdict, and each check under its requirement id with its findings. */
function reportClass(c, texts) {
  const verdict = passed => t(passed ? 'Dev.Passed' : 'Dev.Failed');
  const findings = (check, known) => el('ul', {},
    check.findings.map(f => reportFinding(f, known, texts)),
    check.moreFindings > 0 ? el('li', {}, t('Dev.MoreFindings', check.moreFindings)) : null);
  const row = check => {
    const known = texts.checks.get(check.id);
    return el('tr', { dataset: { check: check.id } },
      el('td', {}, el('a', { href: `/docs/requirements#${encodeURIComponent(check.requirement)}` }, check.requirement)),
      el('td', { class: 'check-title' }, translated(check.title, known?.title, known?.titleZh)), el('td', {}, verdict(check.passed)), el('td', {}, findings(check, known)));
  };
  return el('section', { class: 'report-class', dataset: { class: c.id } },
    el('h4', {}, `${c.passed ? '✔' : '✘'} ${c.id} · ${verdict(c.passed)}`),
    el('table', {},
      el('thead', {}, el('tr', {}, ['Dev.Requirement', 'Dev.Check', 'Common.Status', 'Dev.Findings'].map(key => el('th', { scope: 'col' }, t(key))))),
      el('tbody', {}, c.checks.map(row))));
}

async function showReport(id) {
  try {
    const session = await api('GET', `/v1/certifications/${encodeURIComponent(id)}`);
    const report = session.report;
    const texts = await certificationTexts();
    document.getElementById('report-heading').textContent = `${t('Dev.Report')} · ${id}`;
    document.getElementById('report-summary').textContent =
      t(report.passed ? 'Dev.ReportPassed' : 'Dev.ReportFailed', report.adapterId, report.profile, when(report.finishedAt));
    document.getElementById('report-classes').replaceChildren(...report.classes.map(c => reportClass(c, texts)));
    download(document.getElementById('report-jws'), `${id}.jws`, session.signedReport, 'application/jose');
    download(document.getElementById('report-json'), `${id}.json`, base64UrlBytes(session.signedReport.split('.')[1]), 'application/json');
    document.getElementById('report-file').textContent = `${id}.json`;
    document.getElementById('report-hub').textContent = location.origin;
    document.getElementById('report').hidden = false;
    say('certification-message');
  } catch (error) {
    say('certification-message', error);
  }
}

document.getElementById('certification-refresh').addEventListener('click', () => loadCertifications().catch(error => say('certification-message', error)));

/** The organization's alerts, newest first; a sandbox adapter's are drills, seen by nobody else (ALR-004). */
async function loadAlerts() {
  const page = await api('GET', '/v1/alerts?limit=50');
  fill(document.getElementById('alerts'), await Promise.all(page.items.map(async a => el('tr', { dataset: { alertId: a.id, sandbox: String(a.sandbox) } },
    el('td', {}, levelBadge(a.level)), el('td', {}, el('code', {}, a.deviceId)), el('td', {}, await ruleTitle(a.profile, a.ruleId, a.ruleTitle)),
    el('td', {}, t(`State.${a.state}`) + (a.cleared ? ` (${t('State.cleared')})` : '')), el('td', {}, when(a.observedAt)),
    el('td', {}, a.sandbox && el('span', { class: 'drill' }, t('Dev.Drill')))))), 6);
}

document.getElementById('alerts-refresh').addEventListener('click', () => loadAlerts().catch(error => say('alerts-message', error)));

async function loadSubscriptions() {
  const page = await api('GET', '/v1/subscriptions?limit=100');
  const items = page.items ?? page;
  fill(document.getElementById('subscriptions'), items.map(s => el('tr', { dataset: { subscriptionId: s.id } },
    el('td', {}, s.name), el('td', {}, s.channel), el('td', {}, s.status), el('td', {}, s.delivery.delivered),
    el('td', {}, when(s.delivery.lastSuccessAt)),
    el('td', {}, when(s.delivery.lastFailureAt), s.delivery.lastFailure ? el('div', { class: 'status' }, s.delivery.lastFailure) : null),
    el('td', {}, `${s.delivery.lagSeconds.toFixed(1)} s`),
    el('td', {}, String(s.delivery.deadLetters), ' ',
      s.delivery.deadLetters > 0 && el('button', { type: 'button', onclick: () => deadLetters(s) }, t('Dev.ShowDeadLetters'))),
    el('td', {},
      s.status === 'active'
        ? el('button', { type: 'button', onclick: () => change(s, 'pause') }, t('Dev.Pause'))
        : el('button', { type: 'button', onclick: () => change(s, 'resume') }, t('Dev.Resume')), ' ',
      el('button', { type: 'button', onclick: () => remove(s) }, t('Dev.Delete'))))), 9);
}

async function change(subscription, step) {
  try {
    await api('POST', `/v1/subscriptions/${encodeURIComponent(subscription.id)}/${step}`, {});
    await loadSubscriptions();
  } catch (error) {
    say('subscriptions-message', error);
  }
}

async function remove(subscription) {
  if (!confirm(t('Dev.ConfirmDelete', subscription.name))) return;
  try {
    await api('DELETE', `/v1/subscriptions/${encodeURIComponent(subscription.id)}`);
    await loadSubscriptions();
  } catch (error) {
    say('subscriptions-message', error);
  }
}

document.getElementById('new-subscription').addEventListener('submit', async event => {
  event.preventDefault();
  const f = event.target.elements;
  const types = [...event.target.querySelectorAll('input[name=types]:checked')].map(i => i.value);
  try {
    const created = await api('POST', '/v1/subscriptions', {
      name: f.name.value, channel: f.channel.value, url: f.channel.value === 'webhook' ? f.url.value : undefined, filter: { types },
    });
    say('subscriptions-message');
    if (created.secret) {
      document.getElementById('subscription-secret-value').textContent = created.secret;
      document.getElementById('subscription-secret-copy').replaceChildren(copyButton(created.secret));
      document.getElementById('subscription-secret').hidden = false;
    }
    event.target.reset();
    await loadSubscriptions();
  } catch (error) {
    say('subscriptions-message', error);
  }
});

async function loadPeople() {
  const page = await api('GET', '/v1/users?limit=200');
  const items = page.items ?? page;
  fill(document.getElementById('people-rows'), items.map(u => el('tr', { dataset: { userId: u.id, status: u.status } },
    el('td', {}, u.name), el('td', {}, u.email),
    el('td', {}, u.id === me || u.role === 'operator' ? t(`Dev.Role.${u.role}`) : roleSelect(u)),
    el('td', {}, t(`Dev.Status.${u.status}`)),
    el('td', {}, u.status === 'disabled'
      ? el('button', { type: 'button', onclick: () => person(u, 'enable') }, t('Dev.Enable'))
      : el('button', { type: 'button', onclick: () => person(u, 'disable') }, t('Dev.Disable')),
    ' ', u.status === 'active' && u.id !== me && el('button', { type: 'button', onclick: () => resetPassword(u) }, t('Dev.ResetPassword')),
    ' ', u.status === 'invited' && el('button', { type: 'button', dataset: { step: 'reinvite' }, onclick: () => reinvite(u) }, t('Dev.Reinvite'))))), 5);
}

/** A person's role, changed in place; the hub ends their sessions, so the new rights hold from their next sign-in. */
function roleSelect(user) {
  const select = el('select', { 'aria-label': t('Dev.RoleOf', user.name), dataset: { role: user.role } },
    ['developer', 'admin'].map(role => el('option', { value: role, selected: role === user.role }, t(`Dev.Role.${role}`))));
  select.addEventListener('change', async () => {
    try {
      await api('PUT', `/v1/users/${encodeURIComponent(user.id)}/role`, { role: select.value });
      document.getElementById('people-message').textContent = t('Dev.RoleChanged', user.name, t(`Dev.Role.${select.value}`));
      await loadPeople();
    } catch (error) {
      say('people-message', error);
    }
  });
  return select;
}

/** Shows a link made for one person (an invitation or a password reset), with a copy button. */
function showLink(text, url) {
  document.getElementById('invitation-text').textContent = text;
  document.getElementById('invitation-link').textContent = url;
  document.getElementById('invitation-copy').replaceChildren(copyButton(url));
  document.getElementById('invitation').hidden = false;
}

/** A new invitation link for someone who has not accepted yet; the old link stops working. */
async function reinvite(user) {
  try {
    const invitation = await api('POST', `/v1/users/${encodeURIComponent(user.id)}/invitation`, {});
    showLink(t('Dev.InvitationLink', invitation.user.email, when(invitation.expiresAt)), invitation.invitationUrl);
    say('people-message');
  } catch (error) {
    say('people-message', error);
  }
}

/** A new password through a link for the person to use; the hub ends their sessions and the old password at once. */
async function resetPassword(user) {
  if (!confirm(t('Dev.ConfirmReset', user.email))) return;
  try {
    const reset = await api('POST', `/v1/users/${encodeURIComponent(user.id)}/password-reset`, {});
    showLink(t('Dev.ResetLink', reset.user.email, when(reset.expiresAt)), reset.resetUrl);
    say('people-message');
  } catch (error) {
    say('people-message', error);
  }
}

async function person(user, step) {
  try {
    await api('POST', `/v1/users/${encodeURIComponent(user.id)}/${step}`, {});
    await loadPeople();
  } catch (error) {
    say('people-message', error);
  }
}

document.getElementById('invite').addEventListener('submit', async event => {
  event.preventDefault();
  const f = event.target.elements;
  try {
    const invitation = await api('POST', '/v1/users', { name: f.name.value, email: f.email.value, role: f.role.value, organizationId });
    showLink(t('Dev.InvitationLink', invitation.user.email, when(invitation.expiresAt)), invitation.invitationUrl);
    say('people-message');
    event.target.reset();
    await loadPeople();
  } catch (error) {
    say('people-message', error);
  }
});

async function deadLetters(subscription) {
  const page = await api('GET', `/v1/subscriptions/${encodeURIComponent(subscription.id)}/dead-letters?limit=100`);
  const items = page.items ?? page;
  document.getElementById('dead-letters').hidden = false;
  document.getElementById('dead-letters-heading').textContent = `${t('Dev.DeadLetters')} · ${subscription.name}`;
  fill(document.getElementById('dead-letter-rows'), items.map(d => el('tr', {},
    el('td', {}, el('code', {}, d.eventId), ' ', d.type), el('td', {}, when(d.deadAt)), el('td', {}, d.attempts), el('td', {}, d.lastError ?? ''))), 4);
  document.getElementById('redrive').onclick = async () => {
    try {
      const result = await api('POST', `/v1/subscriptions/${encodeURIComponent(subscription.id)}/dead-letters/redrive`, {});
      document.getElementById('subscriptions-message').textContent = t('Dev.Redriving', result.redriving);
      await loadSubscriptions();
    } catch (error) {
      say('subscriptions-message', error);
    }
  };
}

if (scopes.includes('users:manage')) {
  document.getElementById('people').hidden = false;
  document.getElementById('people-link').hidden = false;
  await loadPeople().catch(error => say('people-message', error));
}
await Promise.all([
  loadAdapters().catch(error => say('adapters-message', error)),
  loadQuarantine().catch(error => say('subscriptions-message', error)),
  loadCertifications().catch(error => say('certification-message', error)),
  loadAlerts().catch(error => say('alerts-message', error)),
  loadSubscriptions().catch(error => say('subscriptions-message', error)),
]);
