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

const trimmed = url => String(url).replace(/\/$/, '');

/**
 * The provider's OpenID configuration. Its issuer must be the one configured (OpenID Connect Discovery 1.0 section
 * 4.3): a document that names another issuer would send the code and the verifier elsewhere.
 */
export async function discover(issuer) {
  let response;
  try {
    response = await fetch(trimmed(issuer) + '/.well-known/openid-configuration', { cache: 'no-store' });
  } catch {
    throw new Error('The identity provider (' + issuer + ') could not be reached, or does not allow this origin (CORS).');
  }
  if (!response.ok) throw new Error('The identity provider\'s configuration could not be read (HTTP ' + response.status + ').');
  const discovery = await response.json();
  if (trimmed(discovery.issuer || '') !== trimmed(issuer)) {
    throw new Error('The identity provider\'s configuration names another issuer (' + discovery.issuer + ').');
  }
  return discovery;
}

export function redirectUri() {
  return location.origin + '/console/';
}

/** The authorization request: the URL to navigate to and what must be kept to finish it. */
export async function authorizationRequest(discovery, clientId, redirect, verifier = randomToken(), state = randomToken(),
  nonce = randomToken()) {
  const url = new URL(discovery.authorization_endpoint);
  const params = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirect,
    scope: 'openid profile',
    state,
    nonce,
    code_challenge: await challenge(verifier),
    code_challenge_method: 'S256',
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return { url: url.toString(), verifier, state, nonce };
}

export async function begin(config) {
  const discovery = await discover(config.issuer);
  const request = await authorizationRequest(discovery, config.clientId, redirectUri());
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier: request.verifier, state: request.state, nonce: request.nonce }));
  location.assign(request.url);
}

/** The token request body for the code that came back (RFC 6749 section 4.1.3 plus the verifier). */
export function tokenRequest(code, clientId, redirect, verifier) {
  return new URLSearchParams({
    grant_type: 'authorization_code', code, redirect_uri: redirect, client_id: clientId, code_verifier: verifier,
  });
}

function payloadOf(jwt) {
  const part = String(jwt).split('.')[1] || '';
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - part.length % 4) % 4);
  const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/**
 * The ID token's claims that bind it to this sign-in (OpenID Connect Core 1.0 section 3.1.3.7): its issuer, this
 * client as audience, the nonce sent from this tab, not expired. It came straight from the token endpoint over the
 * connection this page opened, so that connection stands for its signature (the same section, item 6). Returns a
 * reason to refuse, or null.
 */
export function idTokenProblem(idToken, expected, now = Date.now()) {
  let claims;
  try {
    claims = payloadOf(idToken);
  } catch {
    return 'the ID token cannot be read';
  }
  const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (trimmed(claims.iss || '') !== trimmed(expected.issuer)) return 'the ID token is from another issuer';
  if (!audience.includes(expected.clientId)) return 'the ID token is for another client';
  if (audience.length > 1 && claims.azp !== expected.clientId) return 'the ID token is for another party (azp)';
  if (!expected.nonce || claims.nonce !== expected.nonce) return 'the ID token does not carry the nonce sent from this tab';
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return 'the ID token has expired';
  return null;
}

/**
 * On return from the identity provider (?code=...&state=...): checks the state, exchanges the code, and removes
 * the parameters from the address bar. Resolves to the access and ID tokens, or null when this is not such a return.
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
  let response;
  try {
    response = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: tokenRequest(params.get('code'), config.clientId, redirectUri(), pending.verifier),
    });
  } catch {
    throw new Error('The identity provider\'s token endpoint could not be reached, or does not allow this origin (CORS).');
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok || !answer.access_token) {
    throw new Error('The identity provider did not issue a token: ' + (answer.error_description || answer.error || response.status));
  }
  const problem = answer.id_token ? idTokenProblem(answer.id_token, { issuer: discovery.issuer, clientId: config.clientId,
    nonce: pending.nonce }) : 'no ID token came with the access token';
  if (problem) throw new Error('Sign-in refused: ' + problem + '; start again.');
  return { accessToken: answer.access_token, idToken: answer.id_token };
}

/**
 * Where to send the person to end their session at the provider (OpenID Connect RP-Initiated Logout 1.0), coming
 * back to the console; null when the provider offers no end_session_endpoint.
 */
export async function logoutUrl(config, idToken) {
  const discovery = await discover(config.issuer);
  if (!discovery.end_session_endpoint) return null;
  const url = new URL(discovery.end_session_endpoint);
  url.searchParams.set('id_token_hint', idToken);
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('post_logout_redirect_uri', redirectUri());
  return url.toString();
}

// The service's roles; a token's other roles (of other applications at the same provider) it ignores, and so do we.
const ROLES = new Set(['submitter', 'reader', 'annotator', 'analyst', 'admin']);

/** The roles a token grants, read from its payload as the service reads them (claim path, prefix, known roles). */
export function tokenRoles(token, config) {
  try {
    const payload = payloadOf(token);
    let value = payload;
    for (const part of (config.rolesClaim || 'roles').split('.')) value = value ? value[part] : undefined;
    const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
    const prefix = config.rolePrefix || '';
    return [...new Set(list.map(r => String(r)).filter(r => r.startsWith(prefix))
      .map(r => r.slice(prefix.length).trim().toLowerCase()).filter(r => ROLES.has(r)))];
  } catch {
    return [];
  }
}
