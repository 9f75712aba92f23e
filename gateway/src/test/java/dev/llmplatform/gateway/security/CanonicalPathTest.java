package dev.llmplatform.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llmplatform.gateway.errors.ApiException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CanonicalPathTest {

    @Test
    void decodesEachEncodedCharacterOnce() {
        assertThat(CanonicalPath.of("/%61dmin/models")).isEqualTo("/admin/models");
        assertThat(CanonicalPath.of("/%76%31/models")).isEqualTo("/v1/models");
        assertThat(CanonicalPath.of("/v1/models/org%3Amodel@1")).isEqualTo("/v1/models/org:model@1");
    }

    @Test
    void keepsAPlainPathAsItIs() {
        assertThat(CanonicalPath.of("/")).isEqualTo("/");
        assertThat(CanonicalPath.of("/v1/models/meta-llama/Llama-3.1-8B_v2~x")).isEqualTo("/v1/models/meta-llama/Llama-3.1-8B_v2~x");
        assertThat(CanonicalPath.of("/v1/chat/completions/")).isEqualTo("/v1/chat/completions/");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/admin%2Fmodels", "/admin%2fmodels", "/v1%5Cmodels", "/v1%5cmodels", "/v1\\models"})
    void refusesEncodedSlashesAndBackslashes(String path) {
        assertRefused(path);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/admin;/models", "/admin;x=y/models", "/v1/models;", "/v1%3B/models", "/v1%3b/models"})
    void refusesPathParameters(String path) {
        assertRefused(path);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/../admin/models", "/v1/./models", "/v1/%2e%2e/admin", "/v1/%2E/models", "/v1/.%2e/admin", "/..", "/v1/.."})
    void refusesDotSegments(String path) {
        assertRefused(path);
    }

    @ParameterizedTest
    @ValueSource(strings = {"//admin/models", "/v1//models", "/v1/models//"})
    void refusesEmptySegments(String path) {
        assertRefused(path);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/%2561dmin/models", "/v1/%25", "/v1/%", "/v1/%4", "/v1/%zz", "/v1/%٣٣"})
    void refusesDoubleAndBrokenEncoding(String path) {
        assertRefused(path);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/models%00", "/v1/%0d%0aX:y", "/v1/%7f", "/v1/%20", "/v1/%22", "/v1/%3C", "/v1/%C3%A9", "/v1/é",
            "/v1/models?x", "/v1/#", "/v1/%60", "/v1/%7B", "/v1/%7C"})
    void refusesControlAndUnsafeCharacters(String path) {
        assertRefused(path);
    }

    @Test
    void refusesAPathThatDoesNotStartWithASlash() {
        assertRefused("admin/models");
        assertRefused("");
    }

    private static void assertRefused(String path) {
        assertThatThrownBy(() -> CanonicalPath.of(path))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status().value()).isEqualTo(400);
                    assertThat(e.body().error().code()).isEqualTo("invalid_path");
                    assertThat(e.body().error().type()).isEqualTo("invalid_request_error");
                });
    }
}
