// The minimal WBM page: log in with a cookie session, show the device, log out.
'use strict';

let csrf = '';

async function call(method, path, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (csrf) headers['X-CSRF-Token'] = csrf;
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin', body: body ? JSON.stringify(body) : undefined,
  });
  const data = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, data };
}

function show(id, visible) { document.getElementById(id).hidden = !visible; }
function text(id, value) { document.getElementById(id).textContent = value; }

async function overview() {
  const status = await call('GET', '/api/v1/status');
  if (!status.ok) { show('overview', false); show('login', true); return; }
  const s = status.data;
  text('hostname', s.hostname);
  text('device', s.hostname);
  text('product', `${s.product} (${s.hardware} ${s.hardware_version})`);
  text('version', s.version);
  text('whoami', `${s.user} (${s.role})`);
  show('password-warning', Boolean(s.factory_passwords));
  show('login', false);
  show('overview', true);
}

async function start() {
  const session = await call('GET', '/api/v1/session');
  if (session.ok) { csrf = session.data.csrf || ''; await overview(); } else { show('login', true); }
  document.getElementById('login').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const result = await call('POST', '/api/v1/login', { user: form.user.value, password: form.password.value });
    form.password.value = '';
    if (!result.ok) { text('login-error', result.data.error || 'Login failed.'); return; }
    text('login-error', '');
    csrf = result.data.csrf;
    await overview();
  });
  document.getElementById('logout').addEventListener('click', async () => {
    await call('POST', '/api/v1/logout');
    csrf = '';
    show('overview', false);
    show('login', true);
  });
}

document.addEventListener('DOMContentLoaded', start);
