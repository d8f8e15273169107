package org.chestlens.prediction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.chestlens.StoreTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.transaction.IllegalTransactionStateException;
import org.springframework.transaction.support.TransactionTemplate;

/** An Idempotency-Key answers with what the first request that committed with it sent and the images it stored. */
@StoreTest
@Import(IdempotencyKeys.class)
class IdempotencyKeysTest {

    @Autowired
    IdempotencyKeys keys;
    @Autowired
    TransactionTemplate transaction;

    final String key = "key-" + UUID.randomUUID();
    final IdempotencyKeys.Claim claim = new IdempotencyKeys.Claim(key, "a".repeat(64));
    final List<UUID> first = List.of(UUID.randomUUID(), UUID.randomUUID());

    @Test
    void anUnknownKeyHasNoImages() {
        assertThat(keys.find(key)).isEmpty();
    }

    @Test
    void aRememberedKeyKeepsItsFirstRequestAndImagesInOrder() {
        keys.remember(claim, first);
        keys.remember(new IdempotencyKeys.Claim(key, "b".repeat(64)), List.of(UUID.randomUUID()));

        assertThat(keys.find(key)).hasValueSatisfying(remembered -> {
            assertThat(remembered.imageIds()).isEqualTo(first);
            assertThat(remembered.sentAgainBy("a".repeat(64))).isTrue();
            assertThat(remembered.sentAgainBy("b".repeat(64))).isFalse();
        });
    }

    @Test
    void aKeyRememberedBeforeRequestsWereRecordedMatchesAnyRequest() {
        assertThat(new IdempotencyKeys.Remembered(first, null).sentAgainBy("c".repeat(64))).isTrue();
    }

    @Test
    void theUploadsTransactionFailsWhenAnotherRequestCommittedTheKeyFirst() {
        transaction.executeWithoutResult(status -> keys.record(claim, first, Instant.now()));

        assertThatThrownBy(() -> transaction.executeWithoutResult(
                status -> keys.record(claim, List.of(UUID.randomUUID()), Instant.now())))
                .isInstanceOf(DuplicateKeyException.class);
        assertThat(keys.find(key)).map(IdempotencyKeys.Remembered::imageIds).contains(first);
    }

    @Test
    void recordingOutsideTheUploadsTransactionIsRefused() {
        assertThatThrownBy(() -> keys.record(claim, first, Instant.now()))
                .isInstanceOf(IllegalTransactionStateException.class);
        assertThat(keys.find(key)).isEmpty();
    }
}
