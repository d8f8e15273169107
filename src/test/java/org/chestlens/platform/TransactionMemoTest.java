package org.chestlens.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/** On the test PostgreSQL: one read per transaction and key, none shared across transactions. */
class TransactionMemoTest {

    private final DriverManagerDataSource dataSource = new DriverManagerDataSource(
            System.getenv().getOrDefault("TEST_DATABASE_URL", "jdbc:postgresql://127.0.0.1:5432/test"),
            System.getenv().getOrDefault("TEST_DATABASE_USER", "postgres"),
            System.getenv().getOrDefault("TEST_DATABASE_PASSWORD", ""));
    private final JdbcClient jdbc = JdbcClient.create(dataSource);
    private final DataSourceTransactionManager transactions = new DataSourceTransactionManager(dataSource);
    private final AtomicInteger reads = new AtomicInteger();

    private record Key(String what) {
    }

    /** The server's id of the transaction the read ran in (a new one per statement outside a transaction). */
    private long transactionId(String what) {
        return TransactionMemo.get(new Key(what), () -> {
            reads.incrementAndGet();
            return jdbc.sql("SELECT txid_current()").query(Long.class).single();
        });
    }

    @Test
    void readsOncePerTransactionAndKey() {
        TransactionTemplate template = new TransactionTemplate(transactions);
        long[] ids = template.execute(status -> new long[] {transactionId("a"), transactionId("a"), transactionId("b")});
        assertThat(ids[0]).isEqualTo(ids[1]).isEqualTo(ids[2]);
        assertThat(reads).hasValue(2);
        long next = template.execute(status -> transactionId("a"));
        assertThat(next).isNotEqualTo(ids[0]);
        assertThat(reads).hasValue(3);
    }

    @Test
    void aTransactionSuspendedForANewOneKeepsItsValuesAndTheNewOneReadsItsOwn() {
        TransactionTemplate outer = new TransactionTemplate(transactions);
        TransactionTemplate inner = new TransactionTemplate(transactions);
        inner.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        long[] ids = outer.execute(status -> {
            long before = transactionId("a");
            long nested = inner.execute(s -> transactionId("a"));
            return new long[] {before, nested, transactionId("a")};
        });
        assertThat(ids[1]).isNotEqualTo(ids[0]);
        assertThat(ids[2]).isEqualTo(ids[0]);
        assertThat(reads).hasValue(2);
    }

    @Test
    void outsideATransactionEveryCallReads() {
        long first = transactionId("a");
        long second = transactionId("a");
        assertThat(second).isNotEqualTo(first);
        assertThat(reads).hasValue(2);
    }
}
