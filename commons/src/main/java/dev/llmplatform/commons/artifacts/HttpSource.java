package dev.llmplatform.commons.artifacts;

import dev.llmplatform.commons.security.PemFiles;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import javax.net.ssl.SSLContext;

/** {@code https://} (and plain {@code http://}) through the JDK's client, resuming with a Range header. */
final class HttpSource implements ArtifactSource, AutoCloseable {

    private final HttpClient client;

    HttpSource(ArtifactCacheProperties.Https settings, Duration connectTimeout) {
        var builder = HttpClient.newBuilder().connectTimeout(connectTimeout).followRedirects(HttpClient.Redirect.NORMAL);
        if (!settings.trustedCa().isBlank()) {
            builder.sslContext(trusting(Path.of(settings.trustedCa())));
        }
        this.client = builder.build();
    }

    private static SSLContext trusting(Path caCertificates) {
        try {
            var context = SSLContext.getInstance("TLS");
            context.init(null, PemFiles.trustManagers(caCertificates).getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot trust the certificate authorities in " + caCertificates, e);
        }
    }

    @Override
    public Body open(URI uri, long from) throws IOException {
        var request = HttpRequest.newBuilder(uri).GET();
        if (from > 0) {
            request.header("Range", "bytes=" + from + "-");
        }
        HttpResponse<InputStream> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching " + uri, e);
        }
        int status = response.statusCode();
        if (status == 200 || status == 206) {
            return new Body(response.body(), status == 206 ? from : 0);
        }
        response.body().close();
        if (status == 416) {
            return new Body(InputStream.nullInputStream(), from);
        }
        if (status >= 500 || status == 429) {
            throw new IOException("HTTP " + status + " for " + uri);
        }
        throw new IllegalStateException("HTTP " + status + " for " + uri);
    }

    @Override
    public void close() {
        client.close();
    }
}
