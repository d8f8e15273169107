package org.chestlens.platform.security;

import java.util.Locale;
import java.util.Optional;

/**
 * What a caller may do. A person's roles come from the identity provider's token, an integration
 * engine's from its API key. Roles do not imply one another: an admin who also reads results needs
 * both, so every grant is visible in the identity provider or the key list.
 */
public enum Role {
    /** Upload radiographs (REST, DICOMweb STOW-RS) and follow their processing. */
    SUBMITTER,
    /** Read predictions and their FHIR form. */
    READER,
    /** Record reference and reader labels. */
    ANNOTATOR,
    /** Run evaluations and error analyses. */
    ANALYST,
    /** Models, API keys, webhooks, the audit trail, operational endpoints. */
    ADMIN;

    /** The name used in tokens, API keys and the contract: lower case. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    String authority() {
        return "ROLE_" + name();
    }

    static Optional<Role> fromWireName(String name) {
        if (name == null) {
            return Optional.empty();
        }
        for (Role role : values()) {
            if (role.wireName().equalsIgnoreCase(name.trim())) {
                return Optional.of(role);
            }
        }
        return Optional.empty();
    }
}
