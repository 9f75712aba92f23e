package dev.llmplatform.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/** The TCP sockets that processes (and their children) listen on, read from Linux's /proc as `ss -ltnp` does. */
final class ListeningSockets {

    private ListeningSockets() {
    }

    static List<InetSocketAddress> of(Collection<ProcessHandle> processes) {
        Set<String> inodes = new HashSet<>();
        processes.stream().flatMap(p -> Stream.concat(Stream.of(p), p.descendants())).forEach(p -> inodes.addAll(socketInodes(p.pid())));
        List<InetSocketAddress> listening = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                List<String> lines = Files.readAllLines(Path.of(table));
                for (String line : lines.subList(1, lines.size())) {
                    String[] f = line.trim().split("\\s+");
                    if (f[3].equals("0A") && inodes.contains(f[9])) { // 0A = LISTEN
                        listening.add(address(f[1]));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return listening;
    }

    private static Set<String> socketInodes(long pid) {
        Set<String> inodes = new HashSet<>();
        try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            fds.forEach(fd -> {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException closedMeanwhile) {
                    // a descriptor closed while listing
                }
            });
        } catch (IOException exited) {
            // the process is gone
        }
        return inodes;
    }

    /** /proc/net/tcp{,6}'s "ADDRESS:PORT": the address in 32-bit words of host (little-endian) byte order, the port in hex. */
    static InetSocketAddress address(String entry) {
        int colon = entry.indexOf(':');
        byte[] raw = HexFormat.of().parseHex(entry.substring(0, colon));
        for (int word = 0; word < raw.length; word += 4) {
            for (int i = 0; i < 2; i++) {
                byte b = raw[word + i];
                raw[word + i] = raw[word + 3 - i];
                raw[word + 3 - i] = b;
            }
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(raw), Integer.parseInt(entry.substring(colon + 1), 16));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(entry, e);
        }
    }
}
