/**
 * Authentication (API keys, OAuth2 bearer tokens), authorisation by role, rate limits and the audit trail.
 * Feature modules use only {@link org.chestlens.platform.security.Role},
 * {@link org.chestlens.platform.security.RequiresRole}, {@link org.chestlens.platform.security.CurrentCaller}
 * and {@link org.chestlens.platform.security.AuditedResources}.
 */
@org.springframework.modulith.NamedInterface("security")
package org.chestlens.platform.security;
