package dev.llmplatform.gateway.structured;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Test-only: decides whether a text is in the language of a GBNF grammar, for the constructs the generators emit
 * (literals, character classes with negation and escapes, alternation, groups, {@code ? * + {m} {m,} {m,n}}, rule
 * references). It works on code points like llama.cpp's sampler, and it rejects what llama.cpp's parser would:
 * undefined rules, bad rule names, left recursion.
 */
final class GbnfChecker {

    private sealed interface Node permits Literal, CharClass, RuleRef, Alternatives, Sequence, Repeat {}

    private record Literal(int[] codePoints) implements Node {}

    private record CharClass(List<int[]> ranges, boolean negated) implements Node {
        boolean matches(int c) {
            boolean inside = ranges.stream().anyMatch(r -> c >= r[0] && c <= r[1]);
            return inside != negated;
        }
    }

    private record RuleRef(String name) implements Node {}

    private record Alternatives(List<Node> options) implements Node {}

    private record Sequence(List<Node> items) implements Node {}

    private record Repeat(Node node, int min, int max) implements Node {} // max -1: unbounded

    private final Map<String, Node> rules = new LinkedHashMap<>();

    private GbnfChecker(String grammar) {
        for (String line : grammar.split("\n")) {
            if (line.isBlank()) continue;
            int separator = line.indexOf(" ::= ");
            if (separator < 0) throw new IllegalArgumentException("not a rule: " + line);
            String name = line.substring(0, separator);
            if (!name.matches("[a-z0-9-]+")) throw new IllegalArgumentException("bad rule name: " + name);
            if (rules.containsKey(name)) throw new IllegalArgumentException("rule defined twice: " + name);
            Parser parser = new Parser(line.substring(separator + 5).codePoints().toArray());
            Node body = parser.alternatives();
            if (parser.pos != parser.text.length) {
                throw new IllegalArgumentException("unparsed rest in rule " + name + " at " + parser.pos);
            }
            rules.put(name, body);
        }
        if (!rules.containsKey("root")) throw new IllegalArgumentException("no root rule");
        for (Node body : rules.values()) checkReferences(body);
    }

    static GbnfChecker of(String grammar) {
        return new GbnfChecker(grammar);
    }

    boolean accepts(String text) {
        int[] input = text.codePoints().toArray();
        Matcher matcher = new Matcher(input);
        return matcher.match(new RuleRef("root"), 0).contains(input.length);
    }

    int ruleCount() {
        return rules.size();
    }

    private void checkReferences(Node node) {
        switch (node) {
            case RuleRef ref -> {
                if (!rules.containsKey(ref.name())) throw new IllegalArgumentException("undefined rule " + ref.name());
            }
            case Alternatives a -> a.options().forEach(this::checkReferences);
            case Sequence s -> s.items().forEach(this::checkReferences);
            case Repeat r -> checkReferences(r.node());
            default -> {}
        }
    }

    private final class Matcher {
        private final int[] input;
        private final Map<String, Set<Integer>> memo = new HashMap<>();
        private final Set<String> inProgress = new HashSet<>();

        Matcher(int[] input) {
            this.input = input;
        }

        Set<Integer> match(Node node, int pos) {
            return switch (node) {
                case Literal literal -> {
                    int[] cps = literal.codePoints();
                    if (pos + cps.length > input.length) yield Set.of();
                    for (int i = 0; i < cps.length; i++) {
                        if (input[pos + i] != cps[i]) yield Set.of();
                    }
                    yield Set.of(pos + cps.length);
                }
                case CharClass cls -> pos < input.length && cls.matches(input[pos]) ? Set.of(pos + 1) : Set.of();
                case RuleRef ref -> {
                    String key = ref.name() + "@" + pos;
                    if (memo.containsKey(key)) yield memo.get(key);
                    if (!inProgress.add(key)) throw new IllegalStateException("left recursion in " + ref.name());
                    Set<Integer> ends = match(rules.get(ref.name()), pos);
                    inProgress.remove(key);
                    memo.put(key, ends);
                    yield ends;
                }
                case Alternatives alternatives -> {
                    Set<Integer> ends = new TreeSet<>();
                    for (Node option : alternatives.options()) ends.addAll(match(option, pos));
                    yield ends;
                }
                case Sequence sequence -> {
                    Set<Integer> current = Set.of(pos);
                    for (Node item : sequence.items()) {
                        Set<Integer> next = new TreeSet<>();
                        for (int p : current) next.addAll(match(item, p));
                        current = next;
                        if (current.isEmpty()) break;
                    }
                    yield current;
                }
                case Repeat repeat -> {
                    Set<Integer> ends = new TreeSet<>();
                    Set<Integer> current = Set.of(pos);
                    Set<Integer> seen = new HashSet<>();
                    for (int count = 0; ; count++) {
                        if (count >= repeat.min()) {
                            ends.addAll(current);
                            if (repeat.max() < 0 && !seen.addAll(current)) break; // nothing new: closure done
                        }
                        if (count == repeat.max() || current.isEmpty()) break;
                        Set<Integer> next = new TreeSet<>();
                        for (int p : current) next.addAll(match(repeat.node(), p));
                        current = next;
                    }
                    yield ends;
                }
            };
        }
    }

    private static final class Parser {
        final int[] text;
        int pos;

        Parser(int[] text) {
            this.text = text;
        }

        Node alternatives() {
            List<Node> options = new ArrayList<>();
            options.add(sequence());
            while (peek() == '|') {
                pos++;
                options.add(sequence());
            }
            return options.size() == 1 ? options.getFirst() : new Alternatives(options);
        }

        Node sequence() {
            List<Node> items = new ArrayList<>();
            while (true) {
                skipSpaces();
                int c = peek();
                if (c == -1 || c == '|' || c == ')') break;
                Node atom = atom();
                skipSpaces();
                items.add(repetition(atom));
            }
            return new Sequence(items);
        }

        Node atom() {
            int c = text[pos];
            if (c == '"') {
                pos++;
                List<Integer> cps = new ArrayList<>();
                while (peek() != '"') {
                    if (peek() == -1) throw new IllegalArgumentException("unterminated literal");
                    cps.add(character());
                }
                pos++;
                return new Literal(cps.stream().mapToInt(Integer::intValue).toArray());
            }
            if (c == '[') {
                pos++;
                boolean negated = peek() == '^';
                if (negated) pos++;
                List<int[]> ranges = new ArrayList<>();
                while (peek() != ']') {
                    if (peek() == -1) throw new IllegalArgumentException("unterminated class");
                    int from = character();
                    int to = from;
                    if (peek() == '-' && pos + 1 < text.length && text[pos + 1] != ']') {
                        pos++;
                        to = character();
                    }
                    ranges.add(new int[] {from, to});
                }
                pos++;
                return new CharClass(ranges, negated);
            }
            if (c == '(') {
                pos++;
                Node inner = alternatives();
                if (peek() != ')') throw new IllegalArgumentException("missing ) at " + pos);
                pos++;
                return inner;
            }
            int start = pos;
            while (pos < text.length && (Character.isLetterOrDigit(text[pos]) || text[pos] == '-')) pos++;
            if (start == pos) throw new IllegalArgumentException("unexpected '" + Character.toString(c) + "' at " + pos);
            return new RuleRef(new String(text, start, pos - start));
        }

        Node repetition(Node atom) {
            int c = peek();
            Node result = switch (c) {
                case '*' -> new Repeat(atom, 0, -1);
                case '+' -> new Repeat(atom, 1, -1);
                case '?' -> new Repeat(atom, 0, 1);
                case '{' -> null;
                default -> atom;
            };
            if (result == atom) return atom;
            if (result != null) {
                pos++;
                return result;
            }
            pos++;
            int min = number();
            int max = min;
            if (peek() == ',') {
                pos++;
                max = peek() == '}' ? -1 : number();
            }
            if (peek() != '}') throw new IllegalArgumentException("bad repetition at " + pos);
            pos++;
            return new Repeat(atom, min, max);
        }

        int number() {
            int start = pos;
            while (pos < text.length && Character.isDigit(text[pos])) pos++;
            if (start == pos) throw new IllegalArgumentException("number expected at " + pos);
            return Integer.parseInt(new String(text, start, pos - start));
        }

        int character() {
            int c = text[pos++];
            if (c != '\\') return c;
            int e = text[pos++];
            return switch (e) {
                case 'n' -> '\n';
                case 'r' -> '\r';
                case 't' -> '\t';
                case '\\', '"', '[', ']' -> e;
                case 'x' -> hex(2);
                case 'u' -> hex(4);
                case 'U' -> hex(8);
                default -> throw new IllegalArgumentException("unknown escape \\" + Character.toString(e));
            };
        }

        int hex(int digits) {
            int value = Integer.parseInt(new String(text, pos, digits), 16);
            pos += digits;
            return value;
        }

        int peek() {
            return pos < text.length ? text[pos] : -1;
        }

        void skipSpaces() {
            while (pos < text.length && text[pos] == ' ') pos++;
        }
    }
}
