package org.chestlens.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import org.chestlens.StoreTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A row PostgreSQL refuses is quoted in the error's Detail line ("Failing row contains (...)"); with the
 * service's data source settings that line stays out of the exception text that reaches the log.
 */
@StoreTest
class DatabaseErrorTextTest {

    @Autowired
    JdbcClient jdbc;
    @Autowired
    TransactionTemplate transactions;

    @Test
    void aRefusedRowIsNotQuotedInTheExceptionMessage() {
        Throwable refused = catchThrowable(() -> transactions.executeWithoutResult(status -> {
            jdbc.sql("CREATE TEMPORARY TABLE refused_row (accession text CHECK (accession = 'allowed')) ON COMMIT DROP")
                    .update();
            jdbc.sql("INSERT INTO refused_row VALUES (:accession)").param("accession", "ACC-PATIENT-4711").update();
        }));

        assertThat(refused).as("the check constraint refused the row").isNotNull()
                .hasStackTraceContaining("refused_row_accession_check");
        assertThat(refused).hasStackTraceContaining("violates check constraint")
                .satisfies(t -> assertThat(stackTrace(t)).doesNotContain("ACC-PATIENT-4711"));
    }

    private static String stackTrace(Throwable t) {
        java.io.StringWriter text = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(text));
        return text.toString();
    }
}
