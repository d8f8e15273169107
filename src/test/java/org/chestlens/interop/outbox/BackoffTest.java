package org.chestlens.interop.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void doublesPerAttemptUpToTheCapWithAtMostHalfTakenOffAtRandom() {
        Duration base = Duration.ofSeconds(10);
        Duration max = Duration.ofMinutes(5);
        SplittableRandom random = new SplittableRandom(42);
        for (int attempt = 1; attempt <= 12; attempt++) {
            long full = Math.min(max.toMillis(), base.toMillis() << (attempt - 1));
            long min = Long.MAX_VALUE;
            long most = 0;
            for (int i = 0; i < 500; i++) {
                long wait = Backoff.after(attempt, base, max, random).toMillis();
                min = Math.min(min, wait);
                most = Math.max(most, wait);
            }
            assertThat(min).as("attempt " + attempt).isGreaterThanOrEqualTo(full / 2);
            assertThat(most).as("attempt " + attempt).isLessThanOrEqualTo(full);
            assertThat(most - min).as("jitter at attempt " + attempt).isGreaterThan(full / 4);
        }
        assertThat(Backoff.after(60, base, max, random)).isLessThanOrEqualTo(max);
    }
}
