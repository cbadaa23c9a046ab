package dev.vantage.config.internal;

import java.io.Reader;
import java.util.ArrayList;
import java.util.List;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.dataformat.yaml.YAMLAnchorReplayingFactory;
import tools.jackson.dataformat.yaml.YAMLFactory;

/**
 * Reads YAML with the Jackson 3 streaming parser into a positioned {@link YamlNode} tree. Stateless and
 * thread-safe; a syntax error becomes one problem at the line and column the parser stopped at.
 */
public final class YamlTreeReader {

    // Replays anchored nodes at each alias (*name), so shared blocks work; their positions stay those of the anchor.
    private static final YAMLFactory FACTORY = new YAMLAnchorReplayingFactory();

    private YamlTreeReader() {
    }

    /** The document's root node, or {@code null} when the text is empty or not valid YAML (reported). */
    public static YamlNode read(Reader reader, Problems problems) {
        try (JsonParser parser = FACTORY.createParser(ObjectReadContext.empty(), reader)) {
            JsonToken token = parser.nextToken();
            if (token == null) {
                return null;
            }
            YamlNode root = readValue(parser, token);
            JsonToken extra = parser.nextToken();
            if (extra != null) {
                TokenStreamLocation at = parser.currentTokenLocation();
                problems.add(at.getLineNr(), at.getColumnNr(), "", "a second document",
                        "one YAML document per policy file");
            }
            return root;
        } catch (JacksonException e) {
            TokenStreamLocation location = e.getLocation();
            int line = location == null ? 1 : Math.max(1, location.getLineNr());
            int column = location == null ? 1 : Math.max(1, location.getColumnNr());
            problems.add(line, column, "", syntaxMessage(e.getOriginalMessage()), "valid YAML");
            return null;
        }
    }

    private static YamlNode readValue(JsonParser parser, JsonToken token) {
        TokenStreamLocation at = parser.currentTokenLocation();
        int line = at.getLineNr();
        int column = at.getColumnNr();
        switch (token) {
            case START_OBJECT: {
                List<YamlNode.Entry> entries = new ArrayList<>();
                while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                    TokenStreamLocation keyAt = parser.currentTokenLocation();
                    String key = parser.currentName();
                    YamlNode value = readValue(parser, parser.nextToken());
                    entries.add(new YamlNode.Entry(key, keyAt.getLineNr(), keyAt.getColumnNr(), value));
                }
                return new YamlNode.Mapping(entries, line, column);
            }
            case START_ARRAY: {
                List<YamlNode> items = new ArrayList<>();
                JsonToken next;
                while ((next = parser.nextToken()) != JsonToken.END_ARRAY && next != null) {
                    items.add(readValue(parser, next));
                }
                return new YamlNode.Sequence(items, line, column);
            }
            case VALUE_NUMBER_INT:
                return new YamlNode.Scalar(parser.getString(), YamlNode.Kind.INTEGER, line, column);
            case VALUE_NUMBER_FLOAT:
                return new YamlNode.Scalar(parser.getString(), YamlNode.Kind.FLOAT, line, column);
            case VALUE_TRUE:
            case VALUE_FALSE:
                return new YamlNode.Scalar(parser.getString(), YamlNode.Kind.BOOLEAN, line, column);
            case VALUE_NULL:
                return new YamlNode.Scalar("", YamlNode.Kind.NULL, line, column);
            case VALUE_STRING: {
                String text = parser.getString();
                // The parser hands plain nulls (empty, ~, null) over as strings; they mean "not set".
                boolean isNull = text.isEmpty() || text.equals("~") || text.equals("null");
                return new YamlNode.Scalar(text, isNull ? YamlNode.Kind.NULL : YamlNode.Kind.STRING, line, column);
            }
            default:
                return new YamlNode.Scalar(String.valueOf(parser.getString()), YamlNode.Kind.STRING, line, column);
        }
    }

    /** Keeps the parser's explanation lines and drops its source excerpts and carets. */
    private static String syntaxMessage(String message) {
        if (message == null) {
            return "unreadable YAML";
        }
        StringBuilder text = new StringBuilder();
        for (String line : message.split("\n")) {
            if (line.isBlank() || Character.isWhitespace(line.charAt(0))) {
                continue;
            }
            text.append(text.length() == 0 ? "" : "; ").append(line.strip());
        }
        return text.length() == 0 ? message.strip() : text.toString();
    }
}
