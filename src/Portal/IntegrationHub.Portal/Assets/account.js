// The signed-in person's account: the password, changed through the API with the session (and its anti-forgery
// token). The hub ends the person's other sessions; this one goes on.
import { ApiError, api, currentSession, say, t } from './portal.js';

const { name, email, organizationId } = await currentSession();
document.getElementById('who').textContent = `${name} <${email}> · ${organizationId}`;

document.getElementById('change-password').addEventListener('submit', async event => {
  event.preventDefault();
  const f = event.target.elements;
  const message = document.getElementById('password-message');
  if (f.password.value !== f.confirm.value) {
    say(message, new Error(t('Account.Differ')));
    return;
  }
  try {
    await api('POST', '/v1/me/password', { currentPassword: f.current.value, newPassword: f.password.value });
    event.target.reset();
    say(message);
    message.textContent = t('Account.Changed');
  } catch (error) {
    say(message, error instanceof ApiError && error.problem?.code === 'user.wrong-password' ? new Error(t('Account.WrongPassword')) : error);
  }
});
