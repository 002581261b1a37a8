// What every signed-in page shares: the session (with its anti-forgery token), API calls, the page's words and safe
// element building. Nothing here writes HTML from strings: data only ever reaches the page as text.

const words = JSON.parse(document.getElementById('portal-text')?.textContent ?? '{}');

/** The page's word for a key, with {0}, {1}… filled in. */
export function t(key, ...args) {
  return (words[key] ?? key).replace(/\{(\d)\}/g, (_, i) => String(args[Number(i)] ?? ''));
}

let session;

/** The signed-in person; a lapsed session goes back to the sign-in page. */
export async function currentSession() {
  if (!session) {
    const response = await fetch('/account/session', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (!response.ok) {
      location.assign('/account/sign-in?returnUrl=' + encodeURIComponent(location.pathname + location.search));
      throw new Error('not signed in');
    }
    session = await response.json();
  }
  return session;
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }

  /** The problem's detail with each finding's pointer, as one line of text. */
  describe() {
    const findings = (this.problem?.errors ?? []).map(e => `${e.pointer ?? ''} ${e.detail ?? e.code}`.trim());
    return [this.message, ...findings].join(' · ');
  }
}

/** Calls the hub's API with the session; changes carry the anti-forgery token. A FormData body goes as multipart. Answers the parsed JSON body. */
export async function api(method, path, body, contentType = 'application/json') {
  const { csrfToken } = await currentSession();
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') {
    headers['X-CSRF-TOKEN'] = csrfToken;
  }
  let payload;
  if (body instanceof FormData) {
    // A file upload: the browser writes the multipart type with its boundary.
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = contentType;
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  if (response.status === 401) {
    location.assign('/account/sign-in?returnUrl=' + encodeURIComponent(location.pathname));
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, data);
  }
  return data;
}

/** Builds an element: attributes and properties from an object, children as nodes or text. */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

let areaTable;

/**
 * The districts' names, from the GB/T 2260 table the spec carries (areas/gb-t-2260.json, loaded once): answers a
 * function that gives a code's name in the page's language (English where the table has one, else Chinese), or the
 * code itself for a code the table does not hold.
 */
export async function districtNames() {
  areaTable ??= fetch('/specs/v1/areas/gb-t-2260.json', { headers: { Accept: 'application/json' } })
    .then(response => (response.ok ? response.json() : { areas: {} }))
    .then(table => table.areas);
  const areas = await areaTable;
  const chinese = document.documentElement.lang.startsWith('zh');
  return code => {
    const area = areas[code];
    return area ? (chinese ? area.name : area.nameEn ?? area.name) : code;
  };
}

/** A district's table cell: its name, with the code beside it for whoever needs the code. */
export function districtCell(name, code) {
  return el('td', { dataset: { district: code ?? '' } }, code ? `${name(code)} (${code})` : '—');
}

/** A level's badge: its colour and its name, so colour is never the only signal. */
export function levelBadge(level) {
  return el('span', { class: `level level-${level}` }, t(`Level.${level}`));
}

/**
 * A device's inactive warning levels (its level.inactive warnings): each level's badge, its rule and the site
 * parameter it waits for; nothing when all its levels are watched.
 */
export function inactiveLevels(warnings) {
  const inactive = (warnings ?? []).filter(w => w.code === 'level.inactive');
  return el('ul', { class: 'inactive-levels' }, inactive.map(w =>
    el('li', { dataset: { rule: w.rule, level: w.level, parameter: w.parameter }, title: w.detail }, levelBadge(w.level), ' ', t('Common.InactiveLevel', w.rule, w.parameter))));
}

export function when(value) {
  return value ? new Date(value).toLocaleString(document.documentElement.lang || undefined) : '—';
}

/** Shows what went wrong in a message area, or clears it. */
export function say(target, error) {
  const area = typeof target === 'string' ? document.getElementById(target) : target;
  area.textContent = error ? (error instanceof ApiError ? t('Common.Error', error.describe()) : String(error.message ?? error)) : '';
  area.classList.toggle('error', Boolean(error));
}

/** Replaces a table body's rows, or shows that there is nothing yet. */
export function fill(tbody, rows, columns) {
  tbody.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: columns }, t('Common.None')))]));
}

/**
 * A unit as people write it, from its UCUM code: %{LEL} is %LEL, Cel is °C, m3 is m³, [ppm] is ppm. Annotations the
 * page's language has a word for ({persons}) read in that language; an unknown code is shown as it is.
 */
export function unitText(unit) {
  if (!unit || unit === '1') return '';
  const words = { '{persons}': t('Unit.persons'), '{floor}': t('Unit.floor') };
  return unit
    .replace(/\{[^}]+\}/g, annotation => words[annotation] ?? annotation)
    .replace(/%\{(\w+)\}/g, '%$1')
    .replace(/^Cel$/, '°C').replace(/^deg$/, '°')
    .replace(/\[ppm\]/, 'ppm').replace(/\[g\]/, 'g').replace(/m\[H2O\]/, 'mH₂O')
    .replace(/\bum\b/g, 'μm')
    .replace(/([a-zA-Z])([23])\b/g, (_, letter, power) => letter + (power === '2' ? '²' : '³'));
}

/** A value with its unit as people write it: "30 %LEL", "2.5 m³/h". */
export function valueText(value, unit) {
  if (value === null || value === undefined) return '—';
  const text = typeof value === 'number' ? value.toLocaleString(document.documentElement.lang || undefined, { maximumFractionDigits: 3 }) : String(value);
  const symbol = unitText(unit);
  return symbol ? `${text} ${symbol}` : text;
}

/** How long ago a time was, in the page's language: "12 分钟前", "12 minutes ago". */
export function ago(value, now = Date.now()) {
  const seconds = Math.round((Date.parse(value) - now) / 1000);
  const format = new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: 'auto' });
  for (const [unit, size] of [['day', 86400], ['hour', 3600], ['minute', 60]]) {
    if (Math.abs(seconds) >= size) return format.format(Math.trunc(seconds / size), unit);
  }
  return format.format(seconds, 'second');
}

/** A span of time in whole units, in the page's language: "1 小时 5 分钟", "3 min". */
export function span(milliseconds) {
  const minutes = Math.max(0, Math.round(Math.abs(milliseconds) / 60000));
  const lang = document.documentElement.lang || undefined;
  const unit = (value, name) => new Intl.NumberFormat(lang, { style: 'unit', unit: name, unitDisplay: 'short' }).format(value);
  if (minutes < 60) return unit(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${unit(hours, 'hour')} ${unit(minutes % 60, 'minute')}` : unit(hours, 'hour');
  return unit(Math.floor(hours / 24), 'day');
}

const profiles = new Map();

/** A profile from the spec (loaded once): its titles, metrics', rules' and states' titles in English and Chinese. */
export function profile(id) {
  if (!profiles.has(id)) {
    profiles.set(id, fetch(`/specs/v1/profiles/${encodeURIComponent(id)}`, { headers: { Accept: 'application/json' } })
      .then(response => (response.ok ? response.json() : null)).catch(() => null));
  }
  return profiles.get(id);
}

/** A title from the spec in the page's language: titleZh in Chinese where the spec has one, else title. */
export function titleOf(item, fallback) {
  if (!item) return fallback;
  return (document.documentElement.lang.startsWith('zh') && item.titleZh) || item.title || fallback;
}

/** A rule's title in the page's language, from its profile's title and titleZh. */
export async function ruleTitle(profileId, ruleId, fallback) {
  const spec = await profile(profileId);
  return titleOf(spec?.rules?.find(r => r.id === ruleId), fallback);
}

/** A domain's name in the page's language. */
export function domainText(domain) {
  const word = t(`Domain.${domain}`);
  return word === `Domain.${domain}` ? domain : word;
}

/** Puts text on the clipboard from a button, and says so on the button for a moment. */
export function copyButton(text, label = t('Common.Copy')) {
  const button = el('button', { type: 'button', class: 'copy small' }, label);
  button.addEventListener('click', async () => {
    const value = typeof text === 'function' ? text() : text;
    try {
      await navigator.clipboard.writeText(value);
      button.textContent = t('Common.Copied');
    } catch {
      // Without clipboard access (an insecure origin), select the text instead, for Ctrl+C.
      button.textContent = t('Common.CopyByHand');
    }
    button.dataset.copied = 'true';
    setTimeout(() => { button.textContent = label; delete button.dataset.copied; }, 4000);
  });
  return button;
}
