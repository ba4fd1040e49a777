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
}
