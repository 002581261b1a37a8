// The side drawer: the selected alert's facts, its next steps in the closed loop and its history, beside the board
// rather than below it. Panels that belong to an alert (the closed loop's responsible units, say) register with
// addPanel and are drawn into #drawer-panels each time the drawer shows an alert.
import { ApiError, ago, api, districtNames, el, fill, levelBadge, say, t, valueText, when } from '../portal.js';
import { stateText } from './board.js';
import { feedback, showCauses } from './feedback.js';
import { changed, isOperator, put, ruleText, working } from './state.js';

const districtName = await districtNames();
const drawer = document.getElementById('detail');
const panels = [];
let selected = null;
let returnFocus = null;
let shows = 0;

/**
 * What the person typed or chose in a panel and has not sent yet, by control (the alert, its row's unit or its form's
 * id, and its name). A live event redraws the drawer while they work in it; the redraw puts their choice back, and the
 * focus and caret where they were, rather than sending an assignment to nobody or dropping a half-written comment.
 * Drafts stay with their alert when the drawer shows another one.
 */
const drafts = new Map();
const draftKey = control => {
  const holder = control.closest?.('[data-unit], form[id]');
  return holder && control.name && selected ? `${selected}/${holder.dataset.unit ?? holder.id}/${control.name}` : null;
};

/** The unsent value of a panel's control, if the person changed it before the last redraw. */
export const draft = control => drafts.get(draftKey(control));

/** Forgets the unsent values of a control's row or form once a step has been taken with them. */
export function forget(control) {
  const prefix = draftKey(control)?.replace(/[^/]*$/, '');
  for (const key of drafts.keys()) if (prefix && key.startsWith(prefix)) drafts.delete(key);
}

/** Adds a panel to the drawer: `render(detail, container)` draws it for the alert shown (detail as GET /v1/alerts/{id}). */
export function addPanel(render) {
  panels.push(render);
}

export const selectedId = () => selected;

/** The steps an alert can take next, as the hub allows them; units still working leave the operator only an override (LOOP-002). */
function steps(alert) {
  const open = ['raised', 'acknowledged', 'dispatched'].includes(alert.state);
  const unitsWorking = (alert.units ?? []).some(working);
  return [
    alert.state === 'raised' && 'acknowledge',
    open && 'dispatch',
    open && !unitsWorking && 'resolve',
    open && unitsWorking && isOperator() && 'override',
    (alert.state === 'resolved' || (alert.cleared && alert.state !== 'closed')) && 'close',
  ].filter(Boolean);
}

function fact(label, ...value) {
  return [el('dt', {}, t(label)), el('dd', {}, ...value)];
}

/** Who took a step, by name: a person's or an adapter's name from the hub, the alert engine in words; an assignment names whom it assigned. */
function actorText(step) {
  const actor = step.actor === 'engine' ? t('Console.Engine') : step.actorName ?? step.actor;
  return step.assignee ? `${actor} → ${step.assignee.name ?? step.assignee.id}` : actor;
}

export async function open(id) {
  returnFocus = selected === id ? returnFocus : document.activeElement;
  selected = id;
  const show = ++shows;
  const detail = await api('GET', `/v1/alerts/${id}`);
  // A step's answer and a live event can both redraw the drawer; the later request draws, never an older answer.
  if (show !== shows) return;
  const alert = detail.alert;
  if (put(alert)) changed();
  const redraw = !drawer.hidden && drawer.dataset.alertId === String(alert.id);
  drawer.hidden = false;
  drawer.dataset.alertId = alert.id;
  document.body.classList.add('drawer-open');
  document.getElementById('detail-heading').replaceChildren(levelBadge(alert.level), ` ${alert.deviceId} · ${ruleText(alert)} `, el('span', { class: 'state' }, stateText(alert)));
  document.getElementById('detail-facts').replaceChildren(
    ...fact('Console.Value', valueText(alert.value, alert.unit)),
    ...fact('Common.District', `${districtName(alert.district)} (${alert.district})`),
    ...fact('Console.Organization', alert.organizationId),
    ...fact('Console.RaisedAt', `${when(alert.raisedAt)} (${ago(alert.raisedAt)})`),
    ...fact('Console.AcknowledgeBy', alert.acknowledgeBy ? when(alert.acknowledgeBy) : '—'),
    ...fact('Console.ResolveBy', alert.resolveBy ? when(alert.resolveBy) : '—'),
  );
  showCauses(alert.domain).catch(error => say('step-message', error));
  document.getElementById('step-buttons').replaceChildren(...steps(alert).map(step =>
    el('button', { type: 'button', class: 'primary', dataset: { step }, onclick: () => act(alert.id, step) }, t(`Console.${step[0].toUpperCase()}${step.slice(1)}`))));
  say('step-message');
  const container = document.getElementById('drawer-panels');
  const focused = redraw && container.contains(document.activeElement) ? document.activeElement : null;
  const focus = focused && { key: draftKey(focused), start: focused.selectionStart, end: focused.selectionEnd };
  container.replaceChildren();
  for (const render of panels) render(detail, container);
  for (const control of container.querySelectorAll('[name]')) {
    const value = draft(control);
    if (value !== undefined) control.value = value;
    if (focus?.key && draftKey(control) === focus.key) {
      control.focus();
      if (focus.start !== null && focus.start !== undefined) control.setSelectionRange?.(focus.start, focus.end);
    }
  }
  fill(document.getElementById('history'), detail.history.map(h =>
    el('tr', {}, el('td', {}, when(h.at)), el('td', {}, t(`Console.Step.${h.kind}`) === `Console.Step.${h.kind}` ? h.kind : t(`Console.Step.${h.kind}`), ' → ', t(`State.${h.state}`)),
      el('td', {}, levelBadge(h.level)), el('td', { class: 'actor', dataset: { actor: h.actor } }, actorText(h)), el('td', {}, h.note ?? ''))), 5);
  if (!drawer.contains(document.activeElement)) document.getElementById('detail-close').focus();
}

export function close() {
  drawer.hidden = true;
  selected = null;
  document.body.classList.remove('drawer-open');
  returnFocus?.focus?.();
}

/**
 * Takes a step of the closed loop. `confirm` closes an alert whose condition still holds, which the hub refuses
 * (alert.condition-active) until the operator confirms it with a note: the drawer says why and offers that path.
 */
async function act(id, step, confirm = false) {
  const form = Object.fromEntries(new FormData(document.getElementById('step')));
  const stepMessage = document.getElementById('step-message');
  if ((step === 'resolve' || step === 'override' || confirm) && !form.note.trim()) {
    stepMessage.textContent = t(confirm ? 'Console.CloseNoteRequired' : step === 'override' ? 'Loop.OverrideNoteRequired' : 'Console.NoteRequired');
    return;
  }
  try {
    const body = step === 'dispatch' ? { organizationId: form.organizationId || undefined, note: form.note || undefined }
      : step === 'override' ? { note: form.note, override: true, ...await feedback(id) }
      : step === 'resolve' ? { note: form.note, ...await feedback(id) }
      : { note: form.note || undefined, confirm: confirm || undefined };
    const alert = await api('POST', `/v1/alerts/${id}/${step === 'override' ? 'resolve' : step}`, body);
    document.getElementById('board-message').textContent = t('Console.Done', t(`State.${alert.state}`));
    document.getElementById('step').reset();
    put(alert);
    changed(alert.id);
    await open(id);
  } catch (error) {
    say(stepMessage, error);
    if (error instanceof ApiError && error.problem?.code === 'alert.condition-active') {
      stepMessage.append(el('br'), t('Console.ConditionActive'));
      document.querySelector('#step-buttons [data-step=close-confirm]')?.remove();
      document.getElementById('step-buttons').append(
        el('button', { type: 'button', dataset: { step: 'close-confirm' }, onclick: () => act(id, 'close', true) }, t('Console.CloseAnyway')));
    }
  }
}

export function startDrawer() {
  document.getElementById('detail-close').addEventListener('click', close);
  const remember = event => {
    const key = draftKey(event.target);
    if (key) drafts.set(key, event.target.value);
  };
  const container = document.getElementById('drawer-panels');
  container.addEventListener('input', remember);
  container.addEventListener('change', remember);
  document.addEventListener('keydown', event => {
    if (event.key === 'Escape' && !drawer.hidden) close();
  });
}
