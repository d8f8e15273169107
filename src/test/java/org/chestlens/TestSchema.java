package org.chestlens;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * A schema of its own in the test database for service processes ({@link ServiceProcess}): the test JVM's shared
 * Spring context, when other test classes started it, is then not one more replica working the same tables.
 * Dropped on close; {@link #single} and {@link #count} read it.
 */
public final class TestSchema implements AutoCloseable {

    private final String name;
    private final String url;
    private final Connection db;

    public TestSchema(String name) throws SQLException {
        this.name = name;
        this.url = System.getenv().getOrDefault("TEST_DATABASE_URL", "jdbc:postgresql://127.0.0.1:5432/test");
        db = DriverManager.getConnection(url, System.getenv().getOrDefault("TEST_DATABASE_USER", "postgres"),
                System.getenv().getOrDefault("TEST_DATABASE_PASSWORD", ""));
        try (Statement s = db.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + name + " CASCADE");
            s.execute("CREATE SCHEMA " + name);
            s.execute("SET search_path TO " + name);
        }
    }

    /** The service argument that points a process at this schema. */
    public String datasourceArgument() {
        return "--spring.datasource.url=" + url + (url.contains("?") ? "&" : "?") + "currentSchema=" + name;
    }

    /** The one value of a query that must return exactly one row; null when that value is null. */
    public String single(String sql) throws SQLException {
        try (PreparedStatement s = db.prepareStatement(sql); ResultSet rs = s.executeQuery()) {
            if (!rs.next()) {
                throw new AssertionError("no row: " + sql);
            }
            String value = rs.getString(1);
            if (rs.next()) {
                throw new AssertionError("more than one row: " + sql);
            }
            return value;
        }
    }

    /** The first column of every row, as text. */
    public List<String> column(String sql) throws SQLException {
        List<String> values = new ArrayList<>();
        try (PreparedStatement s = db.prepareStatement(sql); ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                values.add(rs.getString(1));
            }
        }
        return values;
    }

    public long count(String sql) throws SQLException {
        return Long.parseLong(single(sql));
    }

    @Override
    public void close() throws SQLException {
        try (Statement s = db.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + name + " CASCADE");
        } finally {
            db.close();
        }
    }
}
