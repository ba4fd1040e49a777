package org.blip4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * pycocoevalcap's PTB tokenisation. Expected outputs follow the CoreNLP 3.4.1 lexer rules named in each case (JFlex
 * longest match, then rule order), lower-cased, minus pycocoevalcap's PUNCTUATIONS.
 */
class PtbTokenizerTest {
    private static void check(String expected, String caption) {
        assertEquals(expected, PtbTokenizer.tokenize(caption), caption);
    }

    @Test
    void lowercasesAndDropsPunctuation() {
        check("a man riding a wave on top of a surfboard", "A man riding a wave on top of a surfboard.");
        check("two dogs playing in the park", "Two dogs, playing in the park!");
        check("what is this", "What is this?");
        check("a dog", "a dog...");
        check("a dog", "a dog\u2026");
        check("hello world", "hello -- world");
        check("hello world", "hello \u2014 world");
    }

    @Test
    void splitsClitics() {
        // WORD/REDAUX leaves "dog" and "'s"; SWORD/SREDAUX splits "do|n't", "ca|n't", "is|n't".
        check("the dog 's bone is n't here is it", "The dog's bone isn't here, is it?");
        check("do n't i ca n't", "Don't, I can't");
        check(
                "i 'm here you 're there we 'll see they 've gone he 'd go",
                "I'm here; you're there: we'll see. They've gone, he'd go");
        check("a cat 's toy", "a cat\u2019s toy"); // curly apostrophe normalised to '
        check("the 1990 's", "the 1990's");
        check("can not gon na", "cannot gonna");
    }

    @Test
    void quotesAreMappedThenRemoved() {
        // "Stop" -> `` stop '' ; 'no parking' -> ` no parking ' ; curly quotes likewise; all in PUNCTUATIONS.
        check("stop sign", "\"Stop\" sign");
        check("a sign that reads no parking", "A sign that reads 'no parking'");
        check("says hello and hi", "says \u201cHello\u201d and \u2018hi\u2019");
        check("the dogs toys", "The dogs' toys");
    }

    @Test
    void bracketsSurviveAsLowerCasedPtbEscapes() {
        // -lowerCase turns -LRB- into -lrb- before pycocoevalcap filters its upper-case "-LRB-": they stay.
        check("a cat -lrb- orange -rrb- sits", "A cat (orange) sits.");
        check("-lsb- x -rsb- -lcb- y -rcb-", "[x] {y}");
        assertEquals(
                List.of("a", "cat", "-lrb-", "orange", "-rrb-", "sits", "."),
                PtbTokenizer.ptbTokens("A cat (orange) sits."));
    }

    @Test
    void keepsHyphenatedWordsNumbersAndSlashes() {
        check("a well-known 3.5-inch floppy", "A well-known 3.5-inch floppy.");
        check("1,000 people at 10:30 and 2.5 %", "1,000 people at 10:30 and 2.5%");
        check("a black/white t-shirt", "a black/white t-shirt");
        check("10 o'clock", "10 o'clock");
        check("5\u00A01/2 feet and 1/2 cup", "5 1/2 feet and \u00BD cup"); // FRAC keeps "5 1/2" whole, with U+00A0
    }

    @Test
    void abbreviationsKeepTheirPeriod() {
        check("the u.s. flag", "The U.S. flag");
        check("fruits vegetables etc.", "Fruits, vegetables, etc.");
        check("main st. and 5th ave.", "Main St. and 5th Ave.");
        check("mr. smith", "Mr. Smith");
        check("the letter b.", "the letter b."); // any single letter + "." is an acronym
        check("no. 5 and no", "no. 5 and no."); // "no." only before a number
        check("a dog", "a dog."); // plain words lose the sentence-final period
    }

    @Test
    void repeatedMarksAreOneTokenThatIsNotFiltered() {
        // [?!]+ is one rule: "!!" and "?!" are tokens, and they are not in PUNCTUATIONS.
        check("wow !! what ?!", "wow!! what?!");
        check("x ----- y", "x ----- y"); // 3-4 hyphens become "--" (removed), 5 stay
    }

    @Test
    void symbolsAndUntokenizableCharacters() {
        check("# 5 $ 3 cents", "\u00A35 \u20AC3 \u00A2");
        check("emoji here", "emoji \uD83D\uDE00 here"); // surrogates are untokenizable and deleted
        check("", "...");
        check("", "");
    }

    @Test
    void urlsAndProgrammingLanguagesStayWhole() {
        // LIKELYURL ("x.org" plus a path), the "(c|f)#" and "c++" rules, and the Asian smiley "^_^".
        check("see x.org/a_b and www.google.com", "see x.org/a_b and www.Google.com");
        check("c# and c++ code ^_^", "C# and c++ code ^_^");
    }

    @Test
    void captionsOfAMapFormOneStream() {
        // "b." before a line starting with the sentence starter "The" is the ACRONYM rule's "I." case: the letter
        // alone,
        // then "." (removed). On its own (end of input) "b." is ABBREV2 and keeps its period.
        Map<String, List<String>> in = new LinkedHashMap<>();
        in.put("1", List.of("the letter b."));
        in.put("2", List.of("The dog"));
        assertEquals(List.of("the letter b"), PtbTokenizer.tokenize(in).get("1"));
        assertEquals("the letter b.", PtbTokenizer.tokenize("the letter b."));
    }

    @Test
    void tokenizesMapsInOrder() {
        Map<String, List<String>> in = new LinkedHashMap<>();
        in.put("b", List.of("A B.", "C, D!"));
        in.put("a", List.of("E's"));
        Map<String, List<String>> out = PtbTokenizer.tokenize(in);
        assertEquals(List.of("b", "a"), List.copyOf(out.keySet()));
        assertEquals(List.of("a b.", "c d"), out.get("b")); // "B." is a one-letter acronym
        assertEquals(List.of("e 's"), out.get("a"));
    }

    @Test
    void fastPathAgreesWithTheRules() {
        // The plain-word fast path must give exactly what the full rule set gives; fuzz with characters that matter.
        String alphabet = "abcnotgwelsyYSUTI09 .,;:'-/@!?\"()&$";
        java.util.Random random = new java.util.Random(42);
        List<String> samples = new java.util.ArrayList<>(List.of(
                "cannot gonna",
                "etc. and co. x",
                "a.b. The c",
                "no. 5 and no.",
                "dog,cat-like",
                "me@x.com, ok",
                "12 345678 and 5 1/2",
                "St. Louis",
                "I. The end"));
        for (int i = 0; i < 3000; i++) {
            StringBuilder b = new StringBuilder();
            int len = 1 + random.nextInt(24);
            for (int j = 0; j < len; j++) {
                b.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            samples.add(b.toString());
        }
        for (String s : samples) {
            assertEquals(PtbTokenizer.ptbTokens(s, null, false), PtbTokenizer.ptbTokens(s, null, true), s);
        }
    }
}
