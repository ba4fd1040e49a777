package org.blip4j.config;

import com.fasterxml.jackson.databind.JsonNode;

/** A configuration value is missing, malformed or inconsistent. */
public class ConfigException extends IllegalArgumentException {
    public ConfigException(String message) {
        super(message);
    }

    static void require(boolean ok, String message) {
        if (!ok) {
            throw new ConfigException(message);
        }
    }

    static int intField(JsonNode n, String key, int dflt) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.canConvertToInt() || !v.isNumber()) {
            throw new ConfigException("config field " + key + " must be an integer, got " + v);
        }
        return v.asInt();
    }

    /** {@code hidden_act} of a text or vision config (default {@code gelu}, as BLIP). */
    static org.blip4j.nn.Activation activation(JsonNode n, String part) {
        try {
            return org.blip4j.nn.Activation.parse(n.path("hidden_act").asText("gelu"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(part + " " + e.getMessage());
        }
    }
}
