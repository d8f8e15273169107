package org.chestlens.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.api.Test;

class LogSafeTest {

    @Test
    void controlAndNonAsciiCharactersAreEscaped() {
        assertThat(LogSafe.escape("cursor=\u0000\uFFFD\r\n2026-01-01 ERROR forged\u202E\\"))
                .isEqualTo("cursor=\\u0000\\ufffd\\u000d\\u000a2026-01-01 ERROR forged\\u202e\\u005c");
        assertThat(LogSafe.escape("plain text 123")).isEqualTo("plain text 123");
        assertThat(LogSafe.escape(null)).isNull();
        assertThat(LogSafe.escape("a".repeat(10_000))).hasSizeLessThan(600).endsWith("(10000 characters)");
    }

    @Test
    void anExceptionKeepsItsClassAndStackTraceButNotItsRawMessage() {
        IllegalStateException original = new IllegalStateException("value [\r\nforged line]",
                new IllegalArgumentException("\u0000 cause"));
        Throwable escaped = LogSafe.escaped(original);

        StringWriter printed = new StringWriter();
        escaped.printStackTrace(new PrintWriter(printed));
        assertThat(printed.toString())
                .startsWith("java.lang.IllegalStateException: value [\\u000d\\u000aforged line]")
                .contains("Caused by: java.lang.IllegalArgumentException: \\u0000 cause")
                .contains("LogSafeTest.anExceptionKeepsItsClassAndStackTraceButNotItsRawMessage")
                .doesNotContain("\u0000").doesNotContain("[\r\n");
        assertThat(escaped.getStackTrace()).isEqualTo(original.getStackTrace());
    }
}
