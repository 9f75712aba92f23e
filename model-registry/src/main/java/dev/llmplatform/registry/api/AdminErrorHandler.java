package dev.llmplatform.registry.api;

import dev.llmplatform.registry.api.AdminViews.ErrorBody;
import dev.llmplatform.registry.domain.RegistryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.TypeMismatchException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/** Every refusal of the admin API as an OpenAI-style error body with the matching status; never a bare 500. */
@RestControllerAdvice
class AdminErrorHandler {

    private static final Logger log = LoggerFactory.getLogger(AdminErrorHandler.class);

    @ExceptionHandler(RegistryException.class)
    ResponseEntity<ErrorBody> registry(RegistryException e) {
        HttpStatus status = switch (e) {
            case RegistryException.NotFound notFound -> HttpStatus.NOT_FOUND;
            case RegistryException.AlreadyExists exists -> HttpStatus.CONFLICT;
            case RegistryException.InvalidArgument invalid -> HttpStatus.BAD_REQUEST;
            case RegistryException.Conflict conflict -> HttpStatus.CONFLICT;
            case RegistryException.ChecksumMismatch mismatch -> HttpStatus.UNPROCESSABLE_CONTENT;
            case RegistryException.TooLarge tooLarge -> HttpStatus.CONTENT_TOO_LARGE;
        };
        return error(status, e.getMessage(), e.param(), e.code());
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<ErrorBody> unreadable(HttpMessageNotReadableException e) {
        return error(HttpStatus.BAD_REQUEST, "the request body is not valid JSON for this endpoint: "
                + e.getMostSpecificCause().getMessage(), null, "invalid_json");
    }

    @ExceptionHandler(TypeMismatchException.class)
    ResponseEntity<ErrorBody> typeMismatch(TypeMismatchException e) {
        return error(HttpStatus.BAD_REQUEST, "'" + e.getValue() + "' is not a valid " + e.getPropertyName(), e.getPropertyName(), "invalid_argument");
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ErrorBody> unexpected(Exception e) {
        if (e instanceof ErrorResponse response) {
            // Spring MVC's own refusals (missing parameter, wrong media type, wrong method, ...)
            String detail = response.getBody().getDetail() != null ? response.getBody().getDetail() : response.getStatusCode().toString();
            return error(HttpStatus.valueOf(response.getStatusCode().value()), detail, null, "invalid_request");
        }
        log.error("Admin request failed", e);
        return error(HttpStatus.INTERNAL_SERVER_ERROR, "the registry failed: " + e.getMessage(), null, "internal_error");
    }

    private static ResponseEntity<ErrorBody> error(HttpStatus status, String message, String param, String code) {
        return ResponseEntity.status(status).body(ErrorBody.of(status.value(), message, param, code));
    }
}
