import * as api from './api.js';
import * as oidc from './oidc.js';
import { h, clear, announce } from './dom.js';
import upload from './screens/upload.js';
import worklist from './screens/worklist.js';
import result from './screens/result.js';
import labelling from './screens/labelling.js';
import evaluation from './screens/evaluation.js';
import errors from './screens/errors.js';
import admin from './screens/admin.js';

// Each screen: its route, title, the role it needs, and a render(main, args, context) function.
const SCREENS = [
  { route: 'upload', title: 'Upload', role: 'submitter', render: upload },
  { route: 'worklist', title: 'Worklist', role: 'reader', render: worklist },
  { route: 'result', title: 'Result', role: 'reader', render: result, hidden: true },
  { route: 'label', title: 'Labelling', role: 'annotator', render: labelling },
  { route: 'evaluation', title: 'Evaluation', role: 'analyst', render: evaluation },
  { route: 'errors', title: 'Error analysis', role: 'analyst', render: errors },
  { route: 'admin', title: 'Administration', role: 'admin', render: admin },
];
const ZERO = '00000000-0000-0000-0000-000000000000';

const context = { roles: new Set(), config: {}, worklistQueue: [] };
let stopScreen = null;

/**
 * An API key says nothing about its roles, so each role is asked for with a call that only it may make and that
 * changes nothing (a refused or invalid request): 403 means the role is missing, anything else that it is held.
 */
async function probeRoles() {
  const probes = {
    reader: () => api.get('/api/v1/predictions', { limit: 1 }),
    analyst: () => api.get('/api/v1/error-analyses', { limit: 1 }),
    admin: () => api.get('/api/v1/api-keys', { limit: 1 }),
    annotator: () => api.put('/api/v1/images/' + ZERO + '/labels/reference', {}),
    submitter: () => api.call('POST', '/api/v1/images', { body: new FormData() }),
  };
  const roles = new Set();
  const outcomes = await Promise.all(Object.entries(probes).map(async ([role, probe]) => {
    try {
      await probe();
      return [role, 200];
    } catch (e) {
      return [role, e.status];
    }
  }));
  for (const [role, status] of outcomes) {
    if (status === 401) throw new api.ApiError(401, { title: 'Authentication required', detail: 'The API key is unknown, expired or revoked.' });
    if (status !== 403 && status !== 0) roles.add(role);
  }
  return roles;
}

function renderNav() {
  const nav = clear(document.getElementById('nav'));
  const who = clear(document.getElementById('who'));
  if (!api.current()) return;
  nav.append(h('ul', {}, SCREENS.filter(s => !s.hidden && context.roles.has(s.role)).map(s =>
    h('li', {}, h('a', { href: '#/' + s.route, id: 'nav-' + s.route }, s.title)))));
  who.append(h('span', { class: 'roles', title: 'Roles of this credential' },
    [...context.roles].sort().join(', ') || 'no roles'),
  h('button', { type: 'button', id: 'sign-out', onclick: signOut }, 'Sign out'));
}

/**
 * Forgets the credential. After a sign-in at the identity provider, the person's session there ends too when the
 * provider offers RP-initiated logout: else on a shared workstation the next person to press "Sign in with the
 * identity provider" would be signed in as this one without a password.
 */
async function signOut() {
  const credential = api.current();
  api.signOut();
  context.roles = new Set();
  location.hash = '';
  route();
  if (credential && credential.kind === 'bearer' && credential.idToken && context.config.issuer) {
    try {
      const end = await oidc.logoutUrl(context.config, credential.idToken);
      if (end) location.assign(end);
    } catch (e) {
      document.getElementById('sign-in-error').textContent = 'Signed out here, but not at the identity provider: ' + e.message;
    }
  }
}

function signInScreen(main, message) {
  const key = h('input', { id: 'api-key', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const error = h('p', { class: 'error', role: 'alert', id: 'sign-in-error' }, message || '');
  const form = h('form', { class: 'card', id: 'sign-in-form', onsubmit: async e => {
    e.preventDefault();
    api.signIn('key', key.value.trim());
    await afterSignIn(error);
  } },
  h('h2', {}, 'API key'),
  h('p', {}, 'An API key created by an administrator (held in this tab only, forgotten on sign-out or when the tab closes).'),
  h('div', { class: 'field' }, h('label', { for: 'api-key' }, 'API key'), key),
  h('button', { type: 'submit', id: 'sign-in' }, 'Sign in with the key'));
  const sso = context.config.issuer ? h('section', { class: 'card' },
    h('h2', {}, 'Hospital sign-in'),
    h('p', {}, 'Sign in at the hospital identity provider (' + context.config.issuer + ').'),
    h('button', { type: 'button', id: 'sign-in-oidc', onclick: () => oidc.begin(context.config).catch(e => {
      error.textContent = e.message;
    }) }, 'Sign in with the identity provider')) : null;
  main.append(h('h1', {}, 'Sign in to the chestlens console'), error, h('div', { class: 'columns' }, sso, form));
}

async function afterSignIn(errorElement) {
  try {
    const credential = api.current();
    context.roles = credential.kind === 'bearer'
      ? new Set(oidc.tokenRoles(credential.value, context.config)) : await probeRoles();
    api.signIn(credential.kind, credential.value, { ...credential, roles: [...context.roles] });
    const first = SCREENS.find(s => !s.hidden && context.roles.has(s.role));
    location.hash = '#/' + (first ? first.route : 'none');
    route();
  } catch (e) {
    api.signOut();
    if (errorElement) errorElement.textContent = e.message;
  }
}

export function route() {
  if (stopScreen) {
    stopScreen();
    stopScreen = null;
  }
  const main = clear(document.getElementById('main'));
  renderNav();
  if (!api.current()) {
    signInScreen(main);
    document.title = 'Sign in – chestlens console';
    return;
  }
  const [name, ...args] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const screen = SCREENS.find(s => s.route === name);
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.getAttribute('href') === '#/' + name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (!screen) {
    main.append(h('h1', {}, 'No screen for these roles'),
      h('p', {}, 'This credential holds none of the roles the console\'s screens need (submitter, reader, annotator, analyst, admin).'));
    return;
  }
  document.title = screen.title + ' – chestlens console';
  if (!context.roles.has(screen.role)) {
    main.append(h('h1', {}, screen.title), h('p', { class: 'error', role: 'alert' },
      'This screen needs the role "' + screen.role + '", which this credential does not hold.'));
    return;
  }
  try {
    const stop = screen.render(main, args, context);
    if (typeof stop === 'function') stopScreen = stop;
  } catch (e) {
    main.append(h('p', { class: 'error', role: 'alert' }, e.message));
  }
  announce(screen.title);
}

async function start() {
  try {
    const response = await fetch('/console/config.json', { cache: 'no-store' });
    context.config = response.ok ? await response.json() : {};
  } catch {
    context.config = {};
  }
  if (context.config.issuer) {
    try {
      const tokens = await oidc.complete(context.config);
      if (tokens) {
        api.signIn('bearer', tokens.accessToken, { idToken: tokens.idToken });
        await afterSignIn(null);
        return;
      }
    } catch (e) {
      api.signOut();
      route();
      document.getElementById('sign-in-error').textContent = e.message;
      return;
    }
  }
  const restored = api.restore();
  if (restored) context.roles = new Set(restored.roles || []);
  route();
}

window.addEventListener('hashchange', route);
start();
