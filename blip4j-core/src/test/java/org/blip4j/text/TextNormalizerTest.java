package org.blip4j.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Python {@code str} semantics the normaliser and tokenizer rely on (CPython 3.11 results). */
class TextNormalizerTest {
    @Test
    void lowerFollowsPythonFinalSigmaNotJavaWordBoundaries() {
        assertEquals("a1\u03c3", PyText.lower("A1\u03a3")); // Java's toLowerCase(ROOT) gives final sigma here
        assertEquals("\u03b1\u03c2", PyText.lower("\u0391\u03a3"));
        assertEquals("\u03c3", PyText.lower("\u03a3"));
        assertEquals("a\u03c3.b", PyText.lower("A\u03a3.B"));
        assertEquals("a\u03c2.", PyText.lower("A\u03a3."));
        assertEquals("a.\u03c2", PyText.lower("A.\u03a3"));
        assertEquals("\u03b1\u03c2\u0301", PyText.lower("\u0391\u03a3\u0301"));
        assertEquals("i\u0307", PyText.lower("\u0130"));
        assertEquals("\u01c6", PyText.lower("\u01c5"));
    }

    @Test
    void isSpaceIsPythons() {
        for (int cp : new int[] {
            ' ', '\t', '\n', 0x0B, 0x0C, '\r', 0x1C, 0x1F, 0x85, 0xA0, 0x1680, 0x2007, 0x2028, 0x202F, 0x3000
        }) {
            assertTrue(PyText.isSpace(cp), Integer.toHexString(cp));
        }
        for (int cp : new int[] {0x200B, 0x180E, 0xFEFF, 'a', 0}) {
            assertFalse(PyText.isSpace(cp), Integer.toHexString(cp));
        }
        assertEquals(List.of("a", "b"), PyText.split("\u00a0a\u2028\u3000b\u0085"));
    }

    @Test
    void splitSemantics() {
        assertEquals("a ", TextNormalizer.preQuestion("a  b  c", 2)); // empty pieces count as words
        assertEquals("", TextNormalizer.preCaption("one two", 0));
        assertEquals("one two", TextNormalizer.preCaption("One two."));
        assertThrows(IllegalArgumentException.class, () -> TextNormalizer.preCaption("x", -1));
    }
}
