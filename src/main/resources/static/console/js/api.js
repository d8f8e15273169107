// The public REST API (openapi/openapi.yaml) with the signed-in user's credential. The credential lives in this
// module and in sessionStorage (gone with the tab), never in localStorage or a cookie.

const STORE = 'chestlens.console.credential';
let credential = null;

export function restore() {
  try {
    credential = JSON.parse(sessionStorage.getItem(STORE) || 'null');
  } catch {
    credential = null;
  }
  return credential;
}

export function signIn(kind, value, extra = {}) {
  credential = { kind, value, ...extra };
  sessionStorage.setItem(STORE, JSON.stringify(credential));
}

export function signOut() {
  credential = null;
  sessionStorage.removeItem(STORE);
}

export function current() {
  return credential;
}

export function authHeaders() {
  if (!credential) return {};
  return credential.kind === 'bearer' ? { Authorization: 'Bearer ' + credential.value }
    : { 'X-API-Key': credential.value };
}

/** A refused call: the RFC 9457 problem answer in words. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(describe(status, problem));
    this.status = status;
    this.problem = problem || {};
  }
}

export function describe(status, problem) {
  const p = problem || {};
  const title = p.title || ('HTTP ' + status);
  return p.detail ? title + ': ' + p.detail : title;
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== '') q.append(name, value);
  }
  const text = q.toString();
  return text ? '?' + text : '';
}

/**
 * Calls the API. Options: json (a body sent as JSON), body (sent as is), headers, as ('json' | 'blob' | 'text' |
 * 'response'). Resolves to the parsed answer; rejects with ApiError for a 4xx/5xx.
 */
export async function call(method, path, options = {}) {
  const headers = { Accept: 'application/json, application/problem+json', ...authHeaders(), ...(options.headers || {}) };
  let body = options.body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  if (options.as === 'blob') headers.Accept = '*/*';
  const response = await fetch(path, { method, headers, body, cache: 'no-store' });
  if (!response.ok) {
    throw new ApiError(response.status, await problemOf(response));
  }
  if (options.as === 'response') return response;
  if (options.as === 'blob') return response.blob();
  if (options.as === 'text') return response.text();
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  return type.includes('json') ? response.json() : response.text();
}

async function problemOf(response) {
  const type = response.headers.get('Content-Type') || '';
  try {
    if (type.includes('json')) return await response.json();
  } catch {
    // a broken answer body: the status says enough
  }
  return { status: response.status, title: response.statusText || ('HTTP ' + response.status) };
}

export const get = (path, params, options) => call('GET', path + query(params), options);
export const post = (path, json, options) => call('POST', path, { ...options, json });
export const put = (path, json, options) => call('PUT', path, { ...options, json });
export const patch = (path, json, options) => call('PATCH', path, { ...options, json });
export const del = (path, options) => call('DELETE', path, options);

/**
 * Uploads one file with XMLHttpRequest, whose upload events give the transfer's progress (fetch has none).
 * Resolves to {status, body, headers}; rejects with ApiError for a refusal.
 */
export function upload(file, fields, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append('file', file, file.name);
    for (const [name, value] of Object.entries(fields || {})) {
      if (value) form.append(name, value);
    }
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/images');
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.setRequestHeader('Accept', 'application/json, application/problem+json');
    xhr.setRequestHeader('Prefer', 'respond-async');
    xhr.upload.addEventListener('progress', e => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener('load', () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve({ status: xhr.status, body, preferenceApplied: xhr.getResponseHeader('Preference-Applied') });
      } else {
        reject(new ApiError(xhr.status, body || { title: 'HTTP ' + xhr.status }));
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, { title: 'Network error', detail: 'The upload did not reach the service.' })));
    xhr.send(form);
  });
}
