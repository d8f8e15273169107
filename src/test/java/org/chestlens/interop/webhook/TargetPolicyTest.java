package org.chestlens.interop.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TargetPolicyTest {

    @Test
    void metadataWildcardAndMulticastAreNeverTargetsLoopbackOnlyWhenAllowed() {
        assertThat(TargetPolicy.refusal("169.254.169.254", true)).isPresent();
        assertThat(TargetPolicy.refusal("0.0.0.0", true)).isPresent();
        assertThat(TargetPolicy.refusal("224.0.0.1", true)).isPresent();
        assertThat(TargetPolicy.refusal("[fe80::1]", true)).isPresent();
        assertThat(TargetPolicy.refusal("127.0.0.1", false)).get().asString().contains("allow-loopback");
        assertThat(TargetPolicy.refusal("127.0.0.1", true)).isEmpty();
        // The hospital's own network is where receivers live.
        assertThat(TargetPolicy.refusal("10.20.30.40", false)).isEmpty();
        assertThat(TargetPolicy.refusal("192.168.1.5", false)).isEmpty();
    }
}
