package dev.llmplatform.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;

class AuthFailureThrottleTest {

    final AtomicLong now = new AtomicLong(1_000_000_000L);
    final AuthFailureThrottle throttle = new AuthFailureThrottle(3, 2, now::get);

    @Test
    void letsAnAddressFailUpToTheLimitThenMakesItWait() {
        for (int i = 0; i < 3; i++) {
            assertThat(throttle.retryAfterSeconds("10.0.0.1")).isZero();
            throttle.failed("10.0.0.1");
        }
        assertThat(throttle.retryAfterSeconds("10.0.0.1")).isEqualTo(20); // one failure a 20 s at 3 a minute
        assertThat(throttle.retryAfterSeconds("10.0.0.2")).isZero();
    }

    @Test
    void givesBackOneFailurePerRefillInterval() {
        for (int i = 0; i < 3; i++) {
            throttle.failed("10.0.0.1");
        }
        now.addAndGet(19_000_000_000L);
        assertThat(throttle.retryAfterSeconds("10.0.0.1")).isEqualTo(1);
        now.addAndGet(1_000_000_000L);
        assertThat(throttle.retryAfterSeconds("10.0.0.1")).isZero();
    }

    @Test
    void remembersABoundedNumberOfAddresses() {
        for (int i = 0; i < 1000; i++) {
            throttle.failed("10.0." + (i / 250) + "." + (i % 250));
        }
        assertThat(throttle.trackedAddresses()).isEqualTo(2);
    }

    @Test
    void takesTheSocketAddressAndIgnoresXForwardedForFromAnUntrustedPeer() {
        var exchange = exchangeFrom("192.0.2.7", "10.9.9.9");
        assertThat(new ClientAddress(List.of()).of(exchange)).isEqualTo("192.0.2.7");
    }

    @Test
    void believesTheLastForwardedHopOnlyFromATrustedProxy() {
        var exchange = exchangeFrom("192.0.2.7", "1.1.1.1, 10.9.9.9");
        assertThat(new ClientAddress(List.of("192.0.2.7")).of(exchange)).isEqualTo("10.9.9.9");
        assertThat(new ClientAddress(List.of("192.0.2.7")).of(exchangeFrom("192.0.2.7", "not an address\r\n"))).isEqualTo("192.0.2.7");
    }

    private static MockServerWebExchange exchangeFrom(String socket, String forwardedFor) {
        return MockServerWebExchange.from(MockServerHttpRequest.get("/v1/models")
                .remoteAddress(new java.net.InetSocketAddress(socket, 40000))
                .header("X-Forwarded-For", forwardedFor));
    }
}
