package org.chestlens.platform;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.flyway.autoconfigure.FlywayConfigurationCustomizer;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * Fail fast when PostgreSQL is away ({@link DatabaseProperties}): the pool's timeouts, a statement
 * timeout on every pooled connection, a gate in front of the pool that refuses connections at once
 * while {@link DatabaseAvailability} knows the database to be unavailable, and the {@code db} health
 * indicator (part of readiness) answered from that knowledge instead of a query through the pool.
 */
@Configuration(proxyBeanMethods = false)
class DatabaseConfiguration {

    @Bean
    DatabaseAvailability databaseAvailability(DatabaseProperties properties, DataSource dataSource,
                                              MeterRegistry meters) {
        HikariDataSource pool = pool(dataSource);
        return new DatabaseAvailability(properties, () -> probeDataSource(pool, properties), poolControl(pool), meters);
    }

    private static DatabaseAvailability.Pool poolControl(HikariDataSource pool) {
        return new DatabaseAvailability.Pool() {
            @Override
            public void suspend() {
                if (pool != null && pool.getHikariPoolMXBean() != null) {
                    pool.getHikariPoolMXBean().suspendPool();
                }
            }

            @Override
            public void resume() {
                if (pool != null && pool.getHikariPoolMXBean() != null) {
                    pool.getHikariPoolMXBean().softEvictConnections(); // all of them broke with the outage
                    pool.getHikariPoolMXBean().resumePool();
                }
            }
        };
    }

    /** Replaces Spring Boot's {@code db} indicator, which asks the pool and so waits out its timeout. */
    @Bean
    HealthIndicator dbHealthIndicator(DatabaseAvailability database) {
        return () -> database.available() ? Health.up().build()
                : Health.down().withDetail("reason", "the database does not answer its checks").build();
    }

    @Bean
    static BeanPostProcessor databaseTimeouts(ObjectProvider<DatabaseProperties> properties,
                                              ObjectProvider<DatabaseAvailability> availability) {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessBeforeInitialization(Object bean, String beanName) {
                if (bean instanceof HikariDataSource pool) {
                    applyTimeouts(pool, properties.getObject());
                }
                return bean;
            }

            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) {
                return bean instanceof HikariDataSource pool ? new Gate(pool, availability) : bean;
            }
        };
    }

    /**
     * Flyway's migrations may legitimately run longer than a request's statement timeout: they get a
     * connection of their own, with the pool's settings but without it.
     */
    @Bean
    FlywayConfigurationCustomizer migrationsWithoutStatementTimeout(DatabaseProperties properties) {
        return configuration -> {
            HikariDataSource pool = pool(configuration.getDataSource());
            if (pool != null && pool.getJdbcUrl() != null) {
                Properties connection = new Properties();
                connection.putAll(pool.getDataSourceProperties());
                String options = connection.getProperty(OPTIONS, "").replace(statementTimeoutOption(properties), "")
                        .trim();
                if (options.isEmpty()) {
                    connection.remove(OPTIONS);
                } else {
                    connection.setProperty(OPTIONS, options);
                }
                connection.remove("socketTimeout");
                configuration.dataSource(dataSource(pool, connection));
            }
        };
    }

    private static final String OPTIONS = "options";

    static void applyTimeouts(HikariDataSource pool, DatabaseProperties properties) {
        // Suspended during an outage (DatabaseAvailability.Pool); a request that slips past the gate as the
        // outage begins is then refused at once instead of waiting for the resumption.
        pool.setAllowPoolSuspension(true);
        System.setProperty("com.zaxxer.hikari.throwIfSuspended", "true");
        long connectionMillis = Math.max(250, properties.connectionTimeout().toMillis());
        pool.setConnectionTimeout(connectionMillis);
        pool.setValidationTimeout(Math.max(250, Math.min(1000, connectionMillis / 2)));
        String options = pool.getDataSourceProperties().getProperty(OPTIONS, "");
        if (!options.contains("statement_timeout")) {
            pool.addDataSourceProperty(OPTIONS, (options + " " + statementTimeoutOption(properties)).trim());
        }
        pool.addDataSourceProperty("connectTimeout", Integer.toString(DatabaseProperties.seconds(
                properties.connectionTimeout())));
        pool.addDataSourceProperty("socketTimeout", Integer.toString(DatabaseProperties.seconds(
                properties.networkTimeout())));
        pool.addDataSourceProperty("tcpKeepAlive", "true");
    }

    private static String statementTimeoutOption(DatabaseProperties properties) {
        return "-c statement_timeout=" + properties.statementTimeout().toMillis();
    }

    private static DriverManagerDataSource probeDataSource(HikariDataSource pool, DatabaseProperties properties) {
        if (pool == null || pool.getJdbcUrl() == null) {
            throw new IllegalStateException("The database checks need the pool's JDBC URL");
        }
        return dataSource(pool, DatabaseAvailability.probeProperties(pool.getDataSourceProperties(), properties));
    }

    private static DriverManagerDataSource dataSource(HikariDataSource pool, Properties connection) {
        DriverManagerDataSource single = new DriverManagerDataSource(pool.getJdbcUrl());
        if (pool.getDriverClassName() != null) {
            single.setDriverClassName(pool.getDriverClassName());
        }
        single.setUsername(pool.getUsername());
        single.setPassword(pool.getPassword());
        single.setConnectionProperties(connection);
        return single;
    }

    private static HikariDataSource pool(DataSource dataSource) {
        try {
            return dataSource != null && dataSource.isWrapperFor(HikariDataSource.class)
                    ? dataSource.unwrap(HikariDataSource.class) : null;
        } catch (SQLException e) {
            return null;
        }
    }

    /** The pool behind a gate that refuses at once, rather than after the pool's timeout, during an outage. */
    static final class Gate extends DelegatingDataSource {

        private final ObjectProvider<DatabaseAvailability> availability;
        private volatile DatabaseAvailability database;

        Gate(DataSource pool, ObjectProvider<DatabaseAvailability> availability) {
            super(pool);
            this.availability = availability;
        }

        @Override
        public Connection getConnection() throws SQLException {
            check();
            return super.getConnection();
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            check();
            return super.getConnection(username, password);
        }

        private void check() throws SQLException {
            DatabaseAvailability known = database;
            if (known == null) {
                // Created after the pool (it reads the pool's settings): until then, nothing to check.
                known = availability.getIfAvailable();
                database = known;
            }
            if (known != null) {
                known.checkGate();
            }
        }
    }
}
