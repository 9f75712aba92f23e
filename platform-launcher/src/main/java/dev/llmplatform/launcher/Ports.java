package dev.llmplatform.launcher;

/** A service's three loopback ports: its internal HTTP (mutual TLS) port, its gRPC port and its plain management port. */
public record Ports(int http, int grpc, int management) {
}
