package dev.llmplatform.registry.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.commons.grpc.GrpcStatuses;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.jdbc.UncategorizedSQLException;
import org.springframework.transaction.CannotCreateTransactionException;

/**
 * The registry's database away (a PostgreSQL restart: BatchPostgresRestartTest) is UNAVAILABLE with a retry hint, so
 * that the runner retries and the gateway answers 503 with Retry-After; it used to be INTERNAL, a 500.
 */
class DatabaseStatusTest {

    @Test
    void theDatabaseAwayIsUnavailableWithARetryHint() {
        List<RuntimeException> away = List.of(
                // the pool could not connect within its connection timeout (the server is down)
                new CannotGetJdbcConnectionException("Failed to obtain JDBC Connection",
                        new SQLTransientConnectionException("HikariPool-1 - Connection is not available, request timed out after 1000ms")),
                // a pooled connection that the server's fast shutdown ended (SQL state 57P01) or that is closed (08003)
                new DataAccessResourceFailureException("PreparedStatementCallback",
                        new SQLException("FATAL: terminating connection due to administrator command", "57P01")),
                new UncategorizedSQLException("UPDATE", "UPDATE batches", new SQLException("This connection has been closed.", "08003")),
                // @Transactional could not begin
                new CannotCreateTransactionException("Could not open JDBC Connection for transaction",
                        new SQLTransientConnectionException("request timed out")));
        for (RuntimeException failure : away) {
            StatusRuntimeException status = answered(() -> {
                throw failure;
            });
            assertThat(status.getStatus().getCode()).as(failure.toString()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(status.getTrailers().get(GrpcStatuses.RETRY_AFTER_SECONDS)).isEqualTo("1");
        }
    }

    @Test
    void otherFailuresStayInternal() {
        assertThat(answered(() -> {
            throw new IllegalStateException("a bug");
        }).getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(answered(() -> {
            throw new DuplicateKeyException("duplicate key", new SQLException("duplicate key value", "23505"));
        }).getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(answered(() -> {
            throw new UncategorizedSQLException("SELECT", "SELECT", new SQLException("syntax error", "42601"));
        }).getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    }

    private static StatusRuntimeException answered(Supplier<String> call) {
        List<Throwable> errors = new ArrayList<>();
        ModelRegistryGrpcService.answer(new StreamObserver<String>() {
            @Override
            public void onNext(String value) {
                throw new AssertionError("answered " + value);
            }

            @Override
            public void onError(Throwable t) {
                errors.add(t);
            }

            @Override
            public void onCompleted() {
                throw new AssertionError("completed");
            }
        }, call);
        assertThat(errors).hasSize(1);
        return (StatusRuntimeException) errors.getFirst();
    }
}
