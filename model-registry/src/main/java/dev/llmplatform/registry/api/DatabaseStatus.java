package dev.llmplatform.registry.api;

import dev.llmplatform.commons.grpc.GrpcStatuses;
import io.grpc.StatusRuntimeException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.RecoverableDataAccessException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.transaction.CannotCreateTransactionException;

/**
 * A failed call's status when the registry's database is away (restarting, failing over, unreachable, its pool out
 * of connections): UNAVAILABLE with a retry hint, which callers retry and the gateway answers with a 503 and
 * Retry-After, not INTERNAL (a 500, "our fault"). Anything else is left to {@link GrpcStatuses#from}.
 */
final class DatabaseStatus {

    /** The retry hint: the pool reconnects as soon as the server answers again. */
    static final long RETRY_AFTER_SECONDS = 1;

    private DatabaseStatus() {
    }

    static StatusRuntimeException from(Throwable error) {
        return unavailable(error)
                ? GrpcStatuses.unavailable("The registry's database is unavailable; retry shortly.", RETRY_AFTER_SECONDS)
                : GrpcStatuses.from(error);
    }

    /** Whether the failure (or one of its causes) is the database being unreachable or the connection lost. */
    static boolean unavailable(Throwable error) {
        int depth = 0;
        for (Throwable t = error; t != null && depth++ < 20; t = t.getCause()) {
            if (t instanceof DataAccessResourceFailureException || t instanceof TransientDataAccessException
                    || t instanceof RecoverableDataAccessException || t instanceof CannotCreateTransactionException
                    || t instanceof SQLTransientException || t instanceof SQLRecoverableException
                    || t instanceof SQLNonTransientConnectionException) {
                return true;
            }
            // SQL state classes 08 (connection exception) and 57P (PostgreSQL: server shutting down or starting)
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P"))) {
                return true;
            }
        }
        return false;
    }
}
