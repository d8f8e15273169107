package org.chestlens.platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This replica's name in leases and logs. */
public final class InstanceName {

    private InstanceName() {
    }

    /**
     * The host name without a DNS lookup (which could hang on an air-gapped network). It is stable
     * across a process restart on the same host or pod, so a restarted replica takes its own
     * unfinished jobs back at once instead of waiting for their leases to expire.
     */
    public static String hostName() {
        String fromEnvironment = System.getenv("HOSTNAME");
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return fromEnvironment;
        }
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException | RuntimeException e) {
            return "chestlens";
        }
    }
}
