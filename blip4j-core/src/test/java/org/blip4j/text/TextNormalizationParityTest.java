package org.blip4j.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every manifest {@code text_normalization} case through {@link TextNormalizer}. */
class TextNormalizationParityTest {
    @TestFactory
    List<DynamicTest> preCaption() throws Exception {
        return cases("pre_caption", TextNormalizer::preCaption);
    }

    @TestFactory
    List<DynamicTest> preQuestion() throws Exception {
        return cases("pre_question", TextNormalizer::preQuestion);
    }

    private static List<DynamicTest> cases(String fn, BiFunction<String, Integer, String> f) throws Exception {
        JsonNode list = TextFixture.manifest("text_normalization").get(fn);
        assertTrue(list != null && list.isArray() && list.size() > 0, "manifest text_normalization." + fn + " missing");
        List<DynamicTest> tests = new ArrayList<>();
        int i = 0;
        for (JsonNode c : list) {
            String input = c.get("input").asText();
            String expected = c.get("output").asText();
            JsonNode mw = c.has("max_words") ? c.get("max_words") : c.get("max_ques_words");
            int maxWords = mw == null ? TextNormalizer.DEFAULT_MAX_WORDS : mw.asInt();
            c.fieldNames()
                    .forEachRemaining(k -> assertFalse(
                            !List.of("input", "output", "max_words", "max_ques_words")
                                    .contains(k),
                            "unhandled field " + k + " in " + fn + " case " + c));
            tests.add(DynamicTest.dynamicTest(
                    fn + "[" + i++ + "] " + escape(input),
                    () -> assertEquals(
                            expected, f.apply(input, maxWords), fn + "(" + escape(input) + ", " + maxWords + ")")));
        }
        return tests;
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if (cp < 0x20 || cp == 0x7F || cp == 0xA0) {
                b.append(String.format("\\x%02x", cp));
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.toString();
    }
}
