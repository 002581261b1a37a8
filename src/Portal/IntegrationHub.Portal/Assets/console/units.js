// The closed loop's responsible units (LOOP-001, LOOP-002, LOOP-003): a column on the board with each unit's state, and
// a panel in the drawer with each unit's deadlines, assignee, measures and steps, and the alert's comments. A unit's
// officers take their own unit's steps and assign its people, a responder the steps of the share assigned to them; the
// operator takes any unit's, adds units for a joint response, removes them and re-routes by the table.
import { api, el, fill, say, t, when } from '../portal.js';
import { addColumn } from './board.js';
import { addPanel, draft, forget, open } from './drawer.js';
import { feedback } from './feedback.js';
import { changed, isOperator, put, viewer, working } from './state.js';

/** The units of an alert in a few words: each unit's name with its state. */
function unitsText(alert) {
  return (alert.units ?? []).map(u => `${u.organizationName} (${t(`Loop.State.${u.state}`)})`).join(', ') || '—';
}

/** The step note of the drawer, which a unit's resolve takes as its measures (with the feedback fields beside it). */
const note = () => new FormData(document.getElementById('step')).get('note').trim();

/** Whether the person handles the unit's alerts (alerts:manage) rather than only the share assigned to them. */
const manages = () => viewer()?.scopes?.includes('alerts:manage');

/** A unit's active people, to assign one; loaded once per unit and page. */
const people = new Map();
function peopleOf(organizationId) {
  if (!people.has(organizationId)) {
    people.set(organizationId, api('GET', `/v1/users?organization=${encodeURIComponent(organizationId)}`)
      .then(list => list.filter(p => p.status === 'active')));
  }
  return people.get(organizationId);
}

/** The assignment control of a unit's row: its active people, the one assigned chosen. */
function assignControl(alert, unit) {
  const select = el('select', { name: 'assignee', 'aria-label': t('Loop.Assignee') }, el('option', { value: '' }, '—'));
  peopleOf(unit.organizationId).then(list => {
    for (const person of list) select.append(el('option', { value: person.id, selected: person.id === unit.assignee?.id }, person.name));
    // The people arrive after a redraw has put back other drafts: a choice not yet sent wins over the assignee.
    const chosen = draft(select);
    if (chosen !== undefined) select.value = chosen;
  }).catch(error => say('units-message', error));
  const assign = () => change(alert.id, () => api('POST', `/v1/alerts/${alert.id}/units/${encodeURIComponent(unit.organizationId)}/assign`,
    { userId: select.value || null, note: note() || undefined }), select);
  return el('span', {}, select, el('button', { type: 'button', class: 'small', dataset: { unitStep: 'assign' }, onclick: assign }, t('Loop.Step.assign')));
}

/** Takes a step and shows its result; `control`, if given, is the panel control the step sent, whose draft is done. */
async function change(id, call, control) {
  try {
    const alert = await call();
    put(alert);
    changed(alert.id);
    if (control) forget(control);
    document.getElementById('step').reset();
    await open(id);
  } catch (error) {
    say('units-message', error);
  }
}

async function unitStep(id, organizationId, step) {
  const text = note();
  if (step === 'resolve' && !text) {
    document.getElementById('units-message').textContent = t('Console.NoteRequired');
    return;
  }
  const path = `/v1/alerts/${id}/units/${encodeURIComponent(organizationId)}/${step}`;
  await change(id, async () => api('POST', path, step === 'resolve' ? { measures: text, ...await feedback(id) } : { note: text || undefined }));
}

function renderPanel(detail, container) {
  const alert = detail.alert;
  const open = alert.state !== 'closed' && !alert.sandbox;
  const me = viewer();
  const rows = (alert.units ?? []).map(unit => {
    // The unit's officers act for it, and a responder for the share assigned to them.
    const ours = unit.organizationId === me?.organizationId;
    const mine = isOperator() || (ours && (manages() || unit.assignee?.id === me?.id));
    const actions = open && mine ? [
      unit.state === 'routed' && 'acknowledge',
      working(unit) && 'resolve',
      isOperator() && 'remove',
    ].filter(Boolean) : [];
    return el('tr', { dataset: { unit: unit.organizationId, state: unit.state } },
      el('td', {}, unit.organizationName),
      el('td', {}, t(`Loop.Role.${unit.role}`)),
      el('td', { class: 'state' }, t(`Loop.State.${unit.state}`)),
      el('td', {}, unit.acknowledgeBy ? when(unit.acknowledgeBy) : '—'),
      el('td', {}, unit.resolveBy ? when(unit.resolveBy) : '—'),
      el('td', { class: 'assignee' }, unit.assignee ? (unit.assignee.name ?? unit.assignee.id) : '—'),
      el('td', {}, unit.measures ?? ''),
      el('td', {}, ...actions.map(step => el('button', { type: 'button', class: 'small', dataset: { unitStep: step }, onclick: () => unitStep(alert.id, unit.organizationId, step) }, t(`Loop.Step.${step}`))),
        open && working(unit) && (isOperator() || (ours && manages())) ? assignControl(alert, unit) : ''));
  });
  const body = el('tbody', { id: 'units' });
  const heading = ['Loop.Unit', 'Loop.Role', 'Common.State', 'Loop.AcknowledgeBy', 'Loop.ResolveBy', 'Loop.Assignee', 'Loop.Measures', 'Common.Actions'];
  const form = el('form', { class: 'inline', id: 'add-unit', 'aria-label': t('Loop.AddUnit'), hidden: !(open && isOperator()) },
    el('label', {}, t('Loop.Organization'), ' ', el('input', { name: 'organizationId', maxlength: 64, required: true })),
    el('label', {}, t('Loop.Role'), ' ', el('select', { name: 'role' },
      el('option', { value: 'participant' }, t('Loop.Role.participant')), el('option', { value: 'lead' }, t('Loop.Role.lead')))),
    el('button', { type: 'submit' }, t('Loop.AddUnit')),
    el('button', { type: 'button', id: 'reroute', onclick: () => change(alert.id, () => api('POST', `/v1/alerts/${alert.id}/reroute`, { note: note() || undefined })) }, t('Loop.RerouteByTable')));
  form.addEventListener('submit', event => {
    event.preventDefault();
    const f = form.elements;
    change(alert.id, () => api('POST', `/v1/alerts/${alert.id}/units`, { organizationId: f.organizationId.value.trim(), role: f.role.value, note: note() || undefined }), f.organizationId);
  });
  container.append(
    el('h3', { id: 'units-heading' }, t('Loop.Units')),
    el('table', { 'aria-labelledby': 'units-heading' }, el('thead', {}, el('tr', {}, heading.map(h => el('th', { scope: 'col' }, t(h))))), body),
    form,
    el('p', { id: 'units-message', role: 'alert' }),
    ...supervision(alert),
    ...comments(detail));
  fill(body, rows, heading.length);
}

/** The alert's supervision chain (督办, LOOP-005): each step, whom it told, and when the next one follows. */
function supervision(alert) {
  const list = el('ol', { id: 'supervision', 'aria-labelledby': 'supervision-heading' });
  const name = o => o.name ?? o.organizationId;
  api('GET', `/v1/alerts/${alert.id}/supervision`).then(steps => {
    if (steps.length === 0) list.append(el('li', {}, t('Loop.Supervision.None')));
    for (const s of steps) {
      list.append(el('li', { dataset: { step: s.step } },
        el('strong', {}, t(`Loop.Supervision.${s.step}`)), ` · ${when(s.at)} · ${name(s.unit)} → ${name(s.target)}`,
        s.people.length ? ` (${s.people.map(p => p.name ?? p.id).join(', ')})` : '',
        ` · ${t(`Loop.Missed.${s.missed}`)}`, s.nextStepAt ? ` · ${t('Loop.Supervision.Next', when(s.nextStepAt))}` : ''));
    }
  }).catch(error => say('units-message', error));
  return [el('h3', { id: 'supervision-heading' }, t('Loop.Supervision')), list];
}

/** The alert's comments (its history's commented steps) and, while it is open, the form to add one. */
function comments(detail) {
  const alert = detail.alert;
  const list = el('ol', { id: 'comments', 'aria-labelledby': 'comments-heading' },
    ...detail.history.filter(h => h.kind === 'commented').map(c =>
      el('li', {}, el('strong', {}, c.actorName ?? c.actor), ` · ${when(c.at)}: `, c.note ?? '')));
  const form = el('form', { class: 'inline', id: 'comment-form', 'aria-labelledby': 'comments-heading', hidden: alert.state === 'closed' || alert.sandbox },
    el('label', {}, t('Loop.Comment'), ' ', el('input', { name: 'text', maxlength: 2000, size: 40, required: true })),
    el('button', { type: 'submit' }, t('Loop.AddComment')));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    try {
      await api('POST', `/v1/alerts/${alert.id}/comments`, { text: form.elements.text.value.trim() });
      forget(form.elements.text);
      await open(alert.id);
    } catch (error) {
      say('comments-message', error);
    }
  });
  return [el('h3', { id: 'comments-heading' }, t('Loop.Comments')), list, form, el('p', { id: 'comments-message', role: 'alert' })];
}

export function startUnits() {
  addColumn({ key: 'units', label: 'Loop.Units', cell: a => el('td', { class: 'units' }, unitsText(a)) }, 'raised');
  addPanel(renderPanel);
}
