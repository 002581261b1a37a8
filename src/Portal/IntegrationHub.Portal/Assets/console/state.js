// The console's one picture of the city: the open alerts the board, map and situation show, the filters, and who is
// looking. Every panel renders from here and re-renders when it changes (onChange), so a panel added later (the
// closed loop's units, say) subscribes here instead of being called from the others.
import { profile, ruleTitle } from '../portal.js';

export const levels = ['red', 'orange', 'yellow', 'blue'];
export const severity = { red: 4, orange: 3, yellow: 2, blue: 1 };

/** The open actual alerts, by id. A sandbox adapter's drills never get here: they stay in its organization's workspace. */
export const alerts = new Map();

/** Rule titles in the page's language, by profile and rule, once the profile is loaded. */
const ruleTitles = new Map();

const listeners = new Set();

let session = null;

/** Who is looking (GET /account/session): the operator acts for every unit, a unit's people for their own. */
export function setViewer(value) {
  session = value;
}

export const viewer = () => session;
export const isOperator = () => session?.organizationKind === 'operator';

/** A responsible unit still working on its share: routed or acknowledged, not resolved or removed. */
export const working = unit => unit.state === 'routed' || unit.state === 'acknowledged';

/** Calls `listener(fresh)` whenever the alerts change; `fresh` is the id of the alert that just changed, if one did. */
export function onChange(listener) {
  listeners.add(listener);
}

export function changed(fresh) {
  for (const listener of listeners) listener(fresh);
}

export function filters() {
  return Object.fromEntries(new FormData(document.getElementById('filters')));
}

/** Whether an alert passes the board's filters (district, domain, level). */
export function visible(alert, f = filters()) {
  return (!f.district || alert.district.startsWith(f.district)) && (!f.domain || alert.domain === f.domain) && (!f.level || alert.level === f.level);
}

/** Red and orange alerts nobody has acknowledged yet: they flash, count in the title and sound. */
export function needsAttention(alert) {
  return (alert.level === 'red' || alert.level === 'orange') && alert.state === 'raised';
}

export function ruleText(alert) {
  return ruleTitles.get(`${alert.profile}/${alert.ruleId}`) ?? alert.ruleTitle;
}

/** Loads the profiles of these alerts (once each), so that their rules read in the page's language. */
export async function learnRules(list) {
  await Promise.all([...new Set(list.map(a => a.profile))].map(profile));
  await Promise.all(list.map(async a => ruleTitles.set(`${a.profile}/${a.ruleId}`, await ruleTitle(a.profile, a.ruleId, a.ruleTitle))));
}

/** Puts an alert as the hub now has it: closed alerts and drills leave the board. Answers whether it is on the board. */
export function put(alert) {
  if (alert.state === 'closed' || alert.sandbox) {
    alerts.delete(alert.id);
    return false;
  }
  alerts.set(alert.id, alert);
  return true;
}
