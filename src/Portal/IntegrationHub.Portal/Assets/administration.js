// The operator's administration: organizations (each created with its first administrator's invitation) and their
// adapters; an adapter its certification moved to `certified` is promoted to production here.
import { api, currentSession, districtCell, districtNames, el, fill, say, t, when } from './portal.js';


async function loadOrganizations() {
  const result = await api('GET', '/v1/organizations?limit=200');
  const organizations = result.items ?? result;
  const districtName = await districtNames();
  fill(document.getElementById('organizations'), organizations.map(o => el('tr', { dataset: { organizationId: o.id } },
    el('td', {}, el('code', {}, o.id)), el('td', {}, o.name), el('td', {}, t(`Admin.Kind.${o.kind}`)), districtCell(districtName, o.areaCode),
    el('td', {}, el('button', { type: 'button', onclick: () => loadAdapters(o) }, t('Admin.Show'))))), 5);
}

async function loadAdapters(organization) {
  const adapters = await api('GET', `/v1/organizations/${encodeURIComponent(organization.id)}/adapters`);
  document.getElementById('adapters-section').hidden = false;
  document.getElementById('adapters-heading').textContent = t('Admin.Adapters', organization.name);
  fill(document.getElementById('adapters'), adapters.map(a => el('tr', { dataset: { adapterId: a.id, status: a.status } },
    el('td', {}, el('code', {}, a.id)), el('td', {}, a.name), el('td', { class: 'adapter-status' }, t(`Admin.Status.${a.status}`)),
    el('td', {}, a.status === 'certified' && el('button', { type: 'button', class: 'primary', dataset: { promote: 'production' }, onclick: () => promote(organization, a) },
      t('Admin.Promote', t('Admin.Status.production')))))), 4);
}

async function promote(organization, adapter) {
  try {
    await api('POST', `/v1/adapters/${encodeURIComponent(adapter.id)}/promotion`, { note: 'promoted in the operator console' });
    say('adapters-message');
    await loadAdapters(organization);
  } catch (error) {
    say('adapters-message', error);
  }
}

document.getElementById('new-organization').addEventListener('submit', async event => {
  event.preventDefault();
  const f = event.target.elements;
  try {
    await api('POST', '/v1/organizations', { id: f.id.value, name: f.name.value, kind: f.kind.value, areaCode: f.areaCode.value || undefined });
    const invitation = await api('POST', '/v1/users', { name: f.adminName.value, email: f.adminEmail.value, role: 'admin', organizationId: f.id.value });
    document.getElementById('invitation-text').textContent = t('Dev.InvitationLink', invitation.user.email, when(invitation.expiresAt));
    document.getElementById('invitation-link').textContent = invitation.invitationUrl;
    document.getElementById('invitation').hidden = false;
    say('organizations-message');
    event.target.reset();
    await loadOrganizations();
  } catch (error) {
    say('organizations-message', error);
  }
});

try {
  await currentSession();
  await loadOrganizations();
} catch (error) {
  say('organizations-message', error);
}
