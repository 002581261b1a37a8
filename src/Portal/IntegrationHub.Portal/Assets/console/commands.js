// The device's commands in the drawer (CMD-001, CMD-006): the commands the alert's device's profile declares, each a
// form drawn from its parameters' JSON Schema, sent as the signed-in person for the alert; then the command's steps as
// they arrive. The hub judges every command again (declared, parameters, expiry, tenancy): the form only helps.
import { ApiError, api, el, profile, t, titleOf, when } from '../portal.js';
import { addPanel } from './drawer.js';
import { isOperator, viewer } from './state.js';

const finalStatuses = ['rejected', 'executed', 'failed', 'expired'];
const pollEvery = 1000;

/** The command sent last from the drawer, and the alert it was sent for: shown again when the drawer is redrawn. */
let last = null;
let polling = null;
let errorCatalogue;

/** The error catalogue (specs/errors.json, loaded once), by code: the hub's problems titled in the page's language. */
async function errorTitles() {
  errorCatalogue ??= fetch('/specs/v1/errors', { headers: { Accept: 'application/json' } })
    .then(response => (response.ok ? response.json() : { errors: [] }))
    .then(catalogue => new Map(catalogue.errors.map(e => [e.code, e])))
    .catch(() => new Map());
  return errorCatalogue;
}

/** Says what the hub refused: the problem's title in the page's language, and each finding's field with its title. */
async function sayProblem(area, error) {
  area.classList.add('error');
  if (!(error instanceof ApiError) || !error.problem?.code) {
    area.textContent = t('Common.Error', error.message ?? String(error));
    return;
  }
  const titles = await errorTitles();
  const title = code => titleOf(titles.get(code), null);
  const findings = (error.problem.errors ?? []).map(f => el('li', { dataset: { code: f.code, pointer: f.pointer ?? '' } },
    f.pointer ? el('code', {}, f.pointer) : '', f.pointer ? ' ' : '', title(f.code) ?? f.detail ?? f.code));
  area.replaceChildren(el('span', { class: 'problem-title', dataset: { code: error.problem.code } }, title(error.problem.code) ?? error.problem.title ?? error.message),
    findings.length ? el('ul', {}, findings) : '');
}

/** The may-I: the person commands with devices:command, the operator any organization's device, others their own. */
function mayCommand(alert) {
  const me = viewer();
  return !alert.sandbox && (me?.scopes ?? []).includes('devices:command') && (isOperator() || me.organizationId === alert.organizationId);
}

/** An input for one parameter, from its schema: numbers with their range, enums and consts as choices, text with its length. */
function input(name, schema, required) {
  const attributes = { name, required: required || undefined, 'aria-describedby': schema.description ? `parameter-${name}-help` : undefined };
  if (schema.const === true || schema.type === 'boolean') {
    return el('input', { ...attributes, type: 'checkbox', checked: schema.default === true || undefined, dataset: { kind: schema.const === true ? 'const' : 'boolean' } });
  }
  if (Array.isArray(schema.enum)) {
    return el('select', { ...attributes, dataset: { kind: 'enum' } },
      required ? '' : el('option', { value: '' }, '—'),
      schema.enum.map(value => el('option', { value: JSON.stringify(value), selected: value === schema.default || undefined }, String(value))));
  }
  if (schema.type === 'integer' || schema.type === 'number') {
    return el('input', {
      ...attributes, type: 'number', inputmode: schema.type === 'integer' ? 'numeric' : 'decimal', step: schema.type === 'integer' ? 1 : 'any',
      min: schema.minimum ?? schema.exclusiveMinimum, max: schema.maximum ?? schema.exclusiveMaximum, value: schema.default, dataset: { kind: 'number' },
    });
  }
  if (schema.type === 'string') {
    return el('input', { ...attributes, type: 'text', maxlength: schema.maxLength, minlength: schema.minLength, value: schema.default, dataset: { kind: 'text' } });
  }
  // Objects and arrays as JSON text: rare in commands, and the hub's schema check says what is wrong.
  return el('textarea', { ...attributes, rows: 2, dataset: { kind: 'json' } }, schema.default === undefined ? '' : JSON.stringify(schema.default));
}

/** The parameters as the form has them: empty fields left out, so that the schema's defaults and requirements apply. */
function parametersOf(form) {
  const parameters = {};
  for (const field of form.querySelectorAll('[data-kind]')) {
    const { kind } = field.dataset;
    if (kind === 'const' || kind === 'boolean') {
      if (field.checked) parameters[field.name] = true;
      else if (kind === 'boolean') parameters[field.name] = false;
    } else if (field.value !== '') {
      parameters[field.name] = kind === 'number' ? Number(field.value) : kind === 'enum' || kind === 'json' ? JSON.parse(field.value) : field.value;
    }
  }
  return parameters;
}

function stepText(step) {
  const word = t(`Console.Command.Step.${step}`);
  return word === `Console.Command.Step.${step}` ? step : word;
}

/** The command's status and steps, into the drawer's status area when it shows the command's alert. */
function renderStatus(command) {
  const area = document.getElementById('command-status');
  if (!area || !last || area.dataset.alertId !== String(last.alertId)) return;
  area.hidden = false;
  area.dataset.commandId = command.id;
  area.dataset.status = command.status;
  area.replaceChildren(
    el('p', {}, t('Console.Command.Status', command.command, stepText(command.status)), command.detail ? ` · ${command.detail}` : ''),
    el('ol', { id: 'command-steps', class: 'command-steps' }, (command.steps ?? []).map(s =>
      el('li', { dataset: { step: s.step } }, el('time', { datetime: s.at }, when(s.at)), ' ', el('strong', {}, stepText(s.step)), ` · ${s.actor}`,
        s.channel ? ` (${s.channel})` : '', s.detail ? ` · ${s.detail}` : ''))));
}

/** Reads the command until it is final, showing each step as it arrives; a newer command stops the older one's reads. */
async function follow(alertId, id) {
  clearTimeout(polling);
  last = { alertId, id, command: null };
  const read = async () => {
    if (last?.id !== id) return;
    try {
      const command = await api('GET', `/v1/commands/${encodeURIComponent(id)}`);
      if (last?.id !== id) return;
      last.command = command;
      renderStatus(command);
      if (!finalStatuses.includes(command.status)) polling = setTimeout(read, pollEvery);
    } catch (error) {
      const message = document.getElementById('command-message');
      if (message) await sayProblem(message, error);
    }
  };
  await read();
}

async function send(alert, form, name) {
  const message = document.getElementById('command-message');
  message.replaceChildren();
  message.classList.remove('error');
  let parameters;
  try {
    parameters = parametersOf(form);
  } catch {
    message.classList.add('error');
    message.textContent = t('Console.Command.BadJson');
    return;
  }
  // Left empty, the hub's own default lifetime applies, on the hub's clock.
  const minutes = Number(document.getElementById('command-expiry')?.value);
  const body = { command: name, parameters, alertId: alert.id, expiresAt: minutes > 0 ? new Date(Date.now() + minutes * 60000).toISOString() : undefined };
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const path = `/v1/devices/${encodeURIComponent(alert.deviceId)}/commands?organizationId=${encodeURIComponent(alert.organizationId)}`;
    const command = await api('POST', path, body);
    message.textContent = t('Console.Command.Sent', command.command, alert.deviceId);
    await follow(alert.id, command.id);
  } catch (error) {
    await sayProblem(message, error);
  } finally {
    button.disabled = false;
  }
}

function commandForm(alert, name, command) {
  const schema = command.parameters ?? {};
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).map(([parameter, property]) => el('div', { class: 'parameter' },
    el('label', {}, el('code', {}, parameter), required.has(parameter) ? ' *' : '', ' ', input(parameter, property, required.has(parameter))),
    property.description ? el('small', { id: `parameter-${parameter}-help` }, property.description) : ''));
  const form = el('form', { class: 'command', dataset: { command: name }, 'aria-label': titleOf(command, name) },
    el('fieldset', {},
      el('legend', {}, titleOf(command, name), ' ', el('code', {}, name)),
      command.description ? el('p', { class: 'hint' }, command.description) : '',
      fields,
      el('button', { type: 'submit', class: 'primary' }, t('Console.Command.Send'))));
  form.addEventListener('submit', event => {
    event.preventDefault();
    send(alert, form, name);
  });
  return form;
}

async function renderPanel(detail, container) {
  const alert = detail.alert;
  if (!mayCommand(alert)) return;
  // The panel's place is kept while the profile loads, so that it does not jump below the others.
  const section = el('section', { id: 'commands', class: 'commands', 'aria-labelledby': 'commands-heading' });
  container.append(section);
  const spec = await profile(alert.profile);
  const declared = Object.entries(spec?.commands ?? {});
  if (!declared.length) {
    section.remove();
    return;
  }
  section.append(
    el('h3', { id: 'commands-heading' }, t('Console.Command.Heading')),
    el('p', { class: 'hint' }, t('Console.Command.Help', alert.deviceId)),
    el('label', {}, t('Console.Command.ExpiresIn'), ' ', el('input', { id: 'command-expiry', type: 'number', min: 1, step: 1, placeholder: 5, inputmode: 'numeric' })),
    ...declared.map(([name, command]) => commandForm(alert, name, command)),
    el('p', { id: 'command-message', role: 'alert' }),
    el('div', { id: 'command-status', class: 'command-status', 'aria-live': 'polite', hidden: true, dataset: { alertId: alert.id } }));
  if (last?.alertId === alert.id && last.command) renderStatus(last.command);
}

export function startCommands() {
  addPanel((detail, container) => {
    renderPanel(detail, container).catch(error => console.error(error));
  });
}
