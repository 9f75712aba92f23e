package dev.llmplatform.bench;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LoopbackTest {

    @Test
    void loopbackTargetsAreAccepted() {
        assertThatCode(() -> Loopback.require("127.0.0.1", false)).doesNotThrowAnyException();
        assertThatCode(() -> Loopback.require("localhost", false)).doesNotThrowAnyException();
    }

    @Test
    void otherAddressesAreRefusedUnlessExplicitlyAllowed() {
        assertThatThrownBy(() -> Loopback.require("10.1.2.3", false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--allow-non-loopback");
        assertThatCode(() -> Loopback.require("10.1.2.3", true)).doesNotThrowAnyException();
    }
}
