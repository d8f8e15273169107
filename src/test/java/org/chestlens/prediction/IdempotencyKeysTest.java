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

/** An Idempotency-Key answers with the images of the first request that committed with it. */
@StoreTest
@Import(IdempotencyKeys.class)
class IdempotencyKeysTest {

    @Autowired
    IdempotencyKeys keys;
    @Autowired
    TransactionTemplate transaction;

    final String key = "key-" + UUID.randomUUID();
    final List<UUID> first = List.of(UUID.randomUUID(), UUID.randomUUID());

    @Test
    void anUnknownKeyHasNoImages() {
        assertThat(keys.imagesOf(key)).isEmpty();
    }

    @Test
    void aRememberedKeyKeepsItsFirstImagesInOrder() {
        keys.remember(key, first);
        keys.remember(key, List.of(UUID.randomUUID()));

        assertThat(keys.imagesOf(key)).contains(first);
    }

    @Test
    void theUploadsTransactionFailsWhenAnotherRequestCommittedTheKeyFirst() {
        transaction.executeWithoutResult(status -> keys.record(key, first, Instant.now()));

        assertThatThrownBy(() -> transaction.executeWithoutResult(
                status -> keys.record(key, List.of(UUID.randomUUID()), Instant.now())))
                .isInstanceOf(DuplicateKeyException.class);
        assertThat(keys.imagesOf(key)).contains(first);
    }

    @Test
    void recordingOutsideTheUploadsTransactionIsRefused() {
        assertThatThrownBy(() -> keys.record(key, first, Instant.now()))
                .isInstanceOf(IllegalTransactionStateException.class);
        assertThat(keys.imagesOf(key)).isEmpty();
    }
}
