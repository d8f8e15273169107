package org.chestlens.interop.webhook;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * Where webhooks may not go. Receivers normally sit in the hospital's private network, so private
 * ranges are allowed; link-local (cloud metadata services such as 169.254.169.254), wildcard and
 * multicast addresses never are, and loopback (the service's own host) only when configured. Checked
 * when subscribing and again before every attempt, since a name may resolve differently later.
 */
final class TargetPolicy {

    private TargetPolicy() {
    }

    /** @return why the host is refused; empty when allowed (or when it does not resolve now) */
    static Optional<String> refusal(String host, boolean allowLoopback) {
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException | SecurityException e) {
            return Optional.empty(); // the attempt will fail and be logged like any unreachable receiver
        }
        for (InetAddress address : addresses) {
            if (address.isLinkLocalAddress() || address.isAnyLocalAddress() || address.isMulticastAddress()) {
                return Optional.of("link-local, wildcard or multicast address");
            }
            if (address.isLoopbackAddress() && !allowLoopback) {
                return Optional.of("loopback address (set chestlens.webhooks.allow-loopback to allow it)");
            }
        }
        return Optional.empty();
    }
}
