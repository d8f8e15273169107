package org.chestlens;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.boot.jdbc.test.autoconfigure.AutoConfigureTestDatabase;
import org.springframework.boot.jdbc.test.autoconfigure.JdbcTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * A store against the real PostgreSQL that application-test.properties names, its schema migrated by
 * Flyway: only the data source, JdbcClient, transactions and the store classes the test imports; no
 * web layer, no model. The stores commit their own transactions as in the service (a lease is
 * compared with the database's {@code now()}, which stands still inside one transaction), so tests
 * keep their rows apart with fresh ids rather than by rolling back.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@JdbcTest
@AutoConfigureTestDatabase(replace = AutoConfigureTestDatabase.Replace.NONE)
@ActiveProfiles("test")
@Import(PostgresTestConfiguration.class)
@Transactional(propagation = Propagation.NOT_SUPPORTED)
public @interface StoreTest {
}
