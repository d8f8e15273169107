// OpenID Connect authorization code flow with PKCE (RFC 7636) for a public client: no client secret, the code
// verifier never leaves this tab (sessionStorage) until it is sent to the token endpoint with the code.

const PENDING = 'chestlens.console.oidc';

function base64url(bytes) {
  let text = '';
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** 32 random bytes as base64url: 43 characters of the unreserved set, as RFC 7636 section 4.1 asks. */
export function randomToken() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** code_challenge = BASE64URL(SHA-256(ASCII(code_verifier))), RFC 7636 section 4.2. */
export async function challenge(verifier) {
  return base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
}

export async function discover(issuer) {
  const response = await fetch(issuer.replace(/\/$/, '') + '/.well-known/openid-configuration');
  if (!response.ok) throw new Error('The identity provider\'s configuration could not be read (HTTP ' + response.status + ').');
  return response.json();
}

export function redirectUri() {
  return location.origin + '/console/';
}

/** The authorization request: the URL to navigate to and what must be kept to finish it. */
export async function authorizationRequest(discovery, clientId, redirect, verifier = randomToken(), state = randomToken()) {
  const url = new URL(discovery.authorization_endpoint);
  const params = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirect,
    scope: 'openid profile',
    state,
    nonce: randomToken(),
    code_challenge: await challenge(verifier),
    code_challenge_method: 'S256',
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return { url: url.toString(), verifier, state };
}

export async function begin(config) {
  const discovery = await discover(config.issuer);
  const request = await authorizationRequest(discovery, config.clientId, redirectUri());
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier: request.verifier, state: request.state }));
  location.assign(request.url);
}

/** The token request body for the code that came back (RFC 6749 section 4.1.3 plus the verifier). */
export function tokenRequest(code, clientId, redirect, verifier) {
  return new URLSearchParams({
    grant_type: 'authorization_code', code, redirect_uri: redirect, client_id: clientId, code_verifier: verifier,
  });
}

/**
 * On return from the identity provider (?code=...&state=...): checks the state, exchanges the code, and removes
 * the parameters from the address bar. Resolves to the access token, or null when this is not such a return.
 */
export async function complete(config) {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, '', location.pathname + location.hash);
  if (params.has('error')) {
    throw new Error('Sign-in refused by the identity provider: ' + params.get('error')
      + (params.get('error_description') ? ' (' + params.get('error_description') + ')' : ''));
  }
  if (!pending || pending.state !== params.get('state')) {
    throw new Error('Sign-in answer does not match the request sent from this tab (state); start again.');
  }
  const discovery = await discover(config.issuer);
  const response = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: tokenRequest(params.get('code'), config.clientId, redirectUri(), pending.verifier),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok || !answer.access_token) {
    throw new Error('The identity provider did not issue a token: ' + (answer.error_description || answer.error || response.status));
  }
  return answer.access_token;
}

/** The roles a token grants, read from its payload as the service reads them (claim path, prefix). */
export function tokenRoles(token, config) {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    let value = payload;
    for (const part of (config.rolesClaim || 'roles').split('.')) value = value ? value[part] : undefined;
    const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
    const prefix = config.rolePrefix || '';
    return list.map(r => String(r)).filter(r => r.startsWith(prefix)).map(r => r.slice(prefix.length).toLowerCase());
  } catch {
    return [];
  }
}
