import * as api from '../api.js';
import { h, field, select, when, instant, table, announce } from '../dom.js';

const ROLES = ['submitter', 'reader', 'annotator', 'analyst', 'admin'];

function section(id, title, ...content) {
  return h('section', { class: 'card', id, 'aria-labelledby': id + '-h' }, h('h2', { id: id + '-h' }, title), content);
}

/** Administration: API keys (the secret shown once), webhooks with their deliveries, result destinations, audit trail. */
export default function admin(main) {
  const error = h('p', { class: 'error', role: 'alert', id: 'admin-error' });
  const keys = h('div', { id: 'key-list' });
  const secret = h('div', { id: 'key-secret', 'aria-live': 'polite' });
  const keyName = h('input', { id: 'key-name', type: 'text', required: true, autocomplete: 'off' });
  const keyExpires = h('input', { id: 'key-expires', type: 'date' });
  const keyPriority = select({ id: 'key-priority' }, [['', 'routine (default)'], ['routine', 'routine'], ['stat', 'stat']]);
  const roleBoxes = h('fieldset', { class: 'features' }, h('legend', {}, 'Roles'), ROLES.map(r =>
    h('span', { class: 'check' }, h('input', { type: 'checkbox', id: 'key-role-' + r, value: r }), h('label', { for: 'key-role-' + r }, r))));
  const hooks = h('div', { id: 'webhook-list' });
  const deliveries = h('div', { id: 'webhook-deliveries' });
  const hookUrl = h('input', { id: 'hook-url', type: 'url', required: true, autocomplete: 'off' });
  const hookDescription = h('input', { id: 'hook-description', type: 'text', autocomplete: 'off' });
  const destinations = h('div', { id: 'destinations' });
  const audit = h('div', { id: 'audit-list' });
  const auditActor = h('input', { id: 'audit-actor', type: 'text', autocomplete: 'off' });
  const auditAction = h('input', { id: 'audit-action', type: 'text', autocomplete: 'off', placeholder: 'api-key.create' });
  const auditOutcome = select({ id: 'audit-outcome' }, [['', 'Any'], ['success', 'success'], ['denied', 'denied'], ['rejected', 'rejected'], ['error', 'error']]);
  const auditSince = h('input', { id: 'audit-since', type: 'datetime-local', step: '1' });
  const auditUntil = h('input', { id: 'audit-until', type: 'datetime-local', step: '1' });
  const auditCursors = [null];
  let auditPage = 0;

  main.append(h('h1', {}, 'Administration'), error,
    section('keys', 'API keys',
      h('form', { id: 'key-form', onsubmit: e => { e.preventDefault(); createKey(); } },
        h('div', { class: 'row' }, field('Name', keyName), field('Expires (optional)', keyExpires), field('Default priority', keyPriority)),
        roleBoxes, h('button', { type: 'submit', id: 'key-create' }, 'Create the key')),
      secret, keys),
    section('webhooks', 'Webhooks',
      h('form', { id: 'hook-form', onsubmit: e => { e.preventDefault(); createHook(); } },
        h('div', { class: 'row' }, field('URL', hookUrl), field('Description', hookDescription)),
        h('button', { type: 'submit', id: 'hook-create' }, 'Subscribe')),
      hooks, deliveries),
    section('destinations-s', 'Result destinations (HL7 v2)', destinations),
    section('audit', 'Audit trail',
      h('form', { id: 'audit-form', onsubmit: e => { e.preventDefault(); auditCursors.length = 1; auditPage = 0; loadAudit(); } },
        h('div', { class: 'row' }, field('Actor', auditActor), field('Action', auditAction), field('Outcome', auditOutcome),
          field('Since (local time)', auditSince), field('Until (local time)', auditUntil)),
        h('button', { type: 'submit' }, 'Search')),
      audit));

  const fail = e => { error.textContent = e.message; };

  async function loadKeys() {
    const page = await api.get('/api/v1/api-keys', { limit: 200 });
    keys.replaceChildren(table('API keys', [['Name', k => k.name], ['Prefix', k => k.prefix], ['Roles', k => (k.roles || []).join(', ')],
      ['Created', k => when(k.createdAt) + ' by ' + (k.createdBy || '–')], ['Expires', k => when(k.expiresAt)],
      ['State', k => (k.revokedAt ? 'revoked ' + when(k.revokedAt) : h('button', { type: 'button', class: 'danger', 'data-revoke': k.id,
        'aria-label': 'Revoke the key ' + k.name, onclick: () => revoke(k) }, 'Revoke'))]],
    page.items || [], k => ({ 'data-key': k.id })));
  }

  async function createKey() {
    error.textContent = '';
    const roles = [...roleBoxes.querySelectorAll('input:checked')].map(i => i.value);
    try {
      const created = await api.post('/api/v1/api-keys', { name: keyName.value.trim(), roles,
        expiresAt: keyExpires.value ? keyExpires.value + 'T00:00:00Z' : null, defaultPriority: keyPriority.value || null });
      const value = h('code', { id: 'key-secret-value' }, created.key);
      secret.replaceChildren(h('div', { class: 'secret' },
        h('p', {}, 'The key "' + created.apiKey.name + '" – copy it now, it is not shown again:'), value,
        h('button', { type: 'button', onclick: () => navigator.clipboard && navigator.clipboard.writeText(created.key) }, 'Copy'),
        h('button', { type: 'button', onclick: () => secret.replaceChildren() }, 'I have stored it')));
      keyName.value = '';
      announce('Key created');
      await loadKeys();
    } catch (e) {
      fail(e);
    }
  }

  async function revoke(key) {
    if (!window.confirm('Revoke the key "' + key.name + '"? Callers using it are refused from now on.')) return;
    try {
      await api.del('/api/v1/api-keys/' + key.id);
      announce('Key revoked');
      await loadKeys();
    } catch (e) {
      fail(e);
    }
  }

  async function loadHooks() {
    const page = await api.get('/api/v1/webhooks', { limit: 200 });
    hooks.replaceChildren(table('Subscriptions', [['URL', w => w.url], ['Description', w => w.description || ''], ['Events', w => (w.eventTypes || []).join(', ')],
      ['Active', w => h('button', { type: 'button', 'aria-pressed': String(Boolean(w.active)), onclick: () => setActive(w, !w.active) }, w.active ? 'active – pause' : 'paused – resume')],
      ['', w => [h('button', { type: 'button', onclick: () => loadDeliveries(w) }, 'Deliveries'), ' ',
        h('button', { type: 'button', class: 'danger', 'data-delete-hook': w.id, onclick: () => removeHook(w) }, 'Delete')]]], page.items || [],
    w => ({ 'data-hook': w.id })));
  }

  async function createHook() {
    error.textContent = '';
    try {
      const created = await api.post('/api/v1/webhooks', { url: hookUrl.value.trim(), description: hookDescription.value.trim() || null });
      secret.replaceChildren();
      deliveries.replaceChildren(h('div', { class: 'secret' }, h('p', {}, 'Signing secret of the new subscription (shown once):'),
        h('code', { id: 'hook-secret-value' }, created.secret || '')));
      hookUrl.value = '';
      hookDescription.value = '';
      await loadHooks();
    } catch (e) {
      fail(e);
    }
  }

  async function setActive(hook, active) {
    try {
      await api.patch('/api/v1/webhooks/' + hook.id, { active });
      await loadHooks();
    } catch (e) {
      fail(e);
    }
  }

  async function removeHook(hook) {
    if (!window.confirm('Delete the subscription of ' + hook.url + '?')) return;
    try {
      await api.del('/api/v1/webhooks/' + hook.id);
      await loadHooks();
    } catch (e) {
      fail(e);
    }
  }

  async function loadDeliveries(hook) {
    try {
      const page = await api.get('/api/v1/webhooks/' + hook.id + '/deliveries', { limit: 50 });
      deliveries.replaceChildren(table('Deliveries to ' + hook.url, [['Event', d => d.eventType], ['Status', d => d.status], ['Attempts', d => String(d.attempts)],
        ['Created', d => when(d.createdAt)], ['Last answer', d => {
          const last = (d.attemptLog || [])[d.attemptLog ? d.attemptLog.length - 1 : 0];
          return last ? (last.statusCode ? 'HTTP ' + last.statusCode : '') + (last.error ? ' ' + last.error : '') : '–';
        }]], page.items || []));
    } catch (e) {
      fail(e);
    }
  }

  async function loadDestinations() {
    const list = await api.get('/api/v1/hl7/destinations');
    destinations.replaceChildren(list.length ? table('HL7 v2 destinations', [['Name', d => d.name], ['Address', d => d.host + ':' + d.port + (d.tls ? ' (TLS)' : '')],
      ['Events', d => (d.events || []).join(', ')], ['Pending', d => String(d.pending)], ['Delivered', d => String(d.delivered)], ['Failed', d => String(d.failed)]], list)
      : h('p', {}, 'No HL7 v2 destinations are configured.'));
  }

  async function loadAudit() {
    try {
      const page = await api.get('/api/v1/audit-events', { actor: auditActor.value.trim(), action: auditAction.value.trim(), outcome: auditOutcome.value,
        since: instant(auditSince.value), until: instant(auditUntil.value), before: auditCursors[auditPage], limit: 50 });
      const events = page.events || [];
      audit.replaceChildren(events.length ? table('Audit events, newest first', [['When', e => when(e.occurredAt)], ['Actor', e => e.actor + ' (' + e.actorKind + ')'],
        ['Action', e => e.action], ['Request', e => e.httpMethod + ' ' + e.resource], ['Outcome', e => e.outcome + ' ' + e.status],
        ['Resources', e => {
          const ids = e.resourceIds || [];
          return ids.length > 3 ? ids.slice(0, 3).join(', ') + ' and ' + (ids.length - 3) + ' more' : ids.join(', ');
        }]], events) : h('p', { id: 'audit-empty' }, 'No audit events match.'),
      h('div', { class: 'pager' },
        h('button', { type: 'button', disabled: auditPage === 0, onclick: () => { auditPage -= 1; loadAudit(); } }, 'Newer'),
        h('button', { type: 'button', disabled: !page.nextCursor, onclick: () => { auditCursors[auditPage + 1] = page.nextCursor; auditPage += 1; loadAudit(); } }, 'Older')));
    } catch (e) {
      fail(e);
    }
  }

  Promise.all([loadKeys(), loadHooks(), loadDestinations(), loadAudit()]).catch(fail);
}
