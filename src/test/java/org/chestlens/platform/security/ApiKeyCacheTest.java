package org.chestlens.platform.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Instant;
import java.util.Map;
import java.util.Set;

import javax.sql.DataSource;

import org.chestlens.ChestlensIntegrationTest;
import org.chestlens.platform.DatabaseAvailability;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DelegatingDataSource;

/**
 * The API-key cache, on the real api_key table: two stores stand for two replicas. A key revoked on one
 * is refused by the other once its refresh interval has passed; while the database cannot be reached, a
 * key looked up recently is still accepted until the TTL, an unknown one is an outage (not a refusal).
 */
@ChestlensIntegrationTest
class ApiKeyCacheTest {

    @Autowired
    DataSource dataSource;

    /** The database, or an outage when switched off (what the pool's gate answers then). */
    static final class Switchable extends DelegatingDataSource {
        volatile boolean away;

        Switchable(DataSource target) {
            super(target);
        }

        @Override
        public Connection getConnection() throws SQLException {
            if (away) {
                throw new SQLTransientConnectionException("test: the database is unavailable", "08001");
            }
            return super.getConnection();
        }
    }

    private static ApiKeys store(DataSource dataSource, String refresh, String ttl) {
        SecurityProperties properties = new Binder(new MapConfigurationPropertySource(Map.of(
                "chestlens.security.api-key-cache.refresh", refresh, "chestlens.security.api-key-cache.ttl", ttl)))
                .bindOrCreate("chestlens.security", SecurityProperties.class);
        return new ApiKeys(JdbcClient.create(dataSource), properties);
    }

    @Test
    void aKeyRevokedOnAnotherReplicaIsRefusedOnceTheRefreshIntervalHasPassed() throws Exception {
        ApiKeys replicaA = store(dataSource, "300ms", "60s");
        ApiKeys replicaB = store(dataSource, "300ms", "60s");
        ApiKeys.Created created = replicaB.create("cache-test-" + System.nanoTime(), Set.of(Role.READER), null, null,
                "test");
        assertThat(replicaA.validKey(created.secret(), Instant.now())).isPresent();

        assertThat(replicaB.revoke(created.key().id(), "test")).isTrue();
        assertThat(replicaB.validKey(created.secret(), Instant.now())).as("on the replica that revoked it").isEmpty();
        Thread.sleep(400);
        assertThat(replicaA.validKey(created.secret(), Instant.now())).as("on the other, after the refresh").isEmpty();
    }

    @Test
    void duringAnOutageARecentlyUsedKeyIsAcceptedUntilTheTtlAndAnUnknownOneIsAnOutage() throws Exception {
        Switchable database = new Switchable(dataSource);
        ApiKeys replica = store(database, "0s", "1s");
        ApiKeys.Created created = store(dataSource, "0s", "1s").create("cache-test-" + System.nanoTime(),
                Set.of(Role.SUBMITTER), null, null, "test");
        assertThat(replica.validKey(created.secret(), Instant.now())).isPresent();

        database.away = true;
        assertThat(replica.validKey(created.secret(), Instant.now())).as("within the TTL").isPresent()
                .get().extracting(ApiKeys.Key::roles).isEqualTo(Set.of(Role.SUBMITTER));
        assertThatThrownBy(() -> replica.validKey(ApiKeys.newSecret(), Instant.now()))
                .as("a key never seen").matches(DatabaseAvailability::isOutage);
        Thread.sleep(1100);
        assertThatThrownBy(() -> replica.validKey(created.secret(), Instant.now())).as("after the TTL")
                .matches(DatabaseAvailability::isOutage);

        database.away = false;
        assertThat(replica.validKey(created.secret(), Instant.now())).as("the database back").isPresent();
    }
}
