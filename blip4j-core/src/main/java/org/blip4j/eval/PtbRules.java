package org.blip4j.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.regex.Pattern;

/**
 * The token rules of Stanford CoreNLP 3.4.1's {@code PTBLexer.flex} (default options, as pycocoevalcap runs it),
 * re-expressed as Java regular expressions in the lexer's rule order; see {@link PtbTokenizer} for what is left out.
 *
 * <p>Every pattern names its token text group {@code t}; whatever follows it in the pattern is JFlex trailing context,
 * which counts towards the longest-match length but is not consumed. Rules with alternations whose first match is not
 * their longest are split into several patterns, of which the longest match counts. JFlex's {@code %caseless} applies
 * to literals but not to character classes, hence the explicit {@code (?i:...)} groups around literals only.
 */
final class PtbRules {
    private PtbRules() {}

    /** What a rule does with its matched text. */
    enum Act {
        KEEP,
        SOFT_HYPHENS,
        PUSHBACK,
        NBSP,
        CONST,
        AMP,
        QUOTE_LEFT,
        QUOTE_RIGHT,
        HYPHENS,
        FRACTION,
        CURRENCY,
        PHONE,
        PARENS,
        ACRONYM,
        ABBREV_REPEAT,
        SKIP
    }

    /**
     * One lexer rule: its patterns, a quick test on the first character, its action and the action's argument, and (an
     * optimisation) characters of which one must occur before the next whitespace for the rule to be worth trying.
     */
    record Rule(String name, Pattern[] patterns, IntPredicate first, Act act, String arg, String needs) {
        Rule needing(String chars) {
            return new Rule(name, patterns, first, act, arg, chars);
        }
    }

    /** Apostrophe-like characters (APOS_ETC), for {@link Rule#needs()}. */
    private static final String APOSTROPHES = "'\u0092\u2019`\u0091\u2018\u201B&";

    /** Extra LETTER characters the lexer lists by hand (mostly combining marks), besides {@code [:letter:]}. */
    private static final String LETTER_EXTRA = "\\u00AD\\u0237-\\u024F\\u02C2-\\u02C5\\u02D2-\\u02DF\\u02E5-\\u02FF"
            + "\\u0300-\\u036F\\u0370-\\u037D\\u0384\\u0385\\u03CF\\u03F6\\u03FC-\\u03FF\\u0483-\\u0487\\u04CF"
            + "\\u04F6-\\u04FF\\u0510-\\u0525\\u055A-\\u055F\\u0591-\\u05BD\\u05BF\\u05C1\\u05C2\\u05C4\\u05C5"
            + "\\u05C7\\u0615-\\u061A\\u063B-\\u063F\\u064B-\\u065E\\u0670\\u06D6-\\u06EF\\u06FA-\\u06FF\\u070F"
            + "\\u0711\\u0730-\\u074F\\u0750-\\u077F\\u07A6-\\u07B1\\u07CA-\\u07F5\\u07FA\\u0900-\\u0903\\u093C"
            + "\\u093E-\\u094E\\u0951-\\u0955\\u0962-\\u0963\\u0981-\\u0983\\u09BC-\\u09C4\\u09C7\\u09C8"
            + "\\u09CB-\\u09CD\\u09D7\\u09E2\\u09E3\\u0A01-\\u0A03\\u0A3C\\u0A3E-\\u0A4F\\u0A81-\\u0A83"
            + "\\u0ABC-\\u0ACF\\u0B82\\u0BBE-\\u0BC2\\u0BC6-\\u0BC8\\u0BCA-\\u0BCD\\u0C01-\\u0C03\\u0C3E-\\u0C56"
            + "\\u0D3E-\\u0D44\\u0D46-\\u0D48\\u0E30-\\u0E3A\\u0E47-\\u0E4E\\u0EB1-\\u0EBC\\u0EC8-\\u0ECD";
    /** JFlex 1.4 scanned UTF-16 units: characters outside the BMP are never letters or digits there. */
    private static final String BMP = "&&[\\x{0}-\\x{FFFF}]";
    /** SPLET: an accented vowel written as an entity ({@code &eacute;}) counts as a letter. */
    private static final String SPLET = "&[aeiouAEIOU](?i:acute|grave|uml);";

    static final String LETTER = "(?:[[\\p{L}" + LETTER_EXTRA + "]" + BMP + "]|" + SPLET + ")";
    static final String LETTER_DIGIT = "(?:[[\\p{L}\\p{Nd}" + LETTER_EXTRA + "]" + BMP + "]|" + SPLET + ")";
    static final String ALNUM = "[[\\p{L}\\p{Nd}]" + BMP + "]";
    static final String DIGIT = "[\\p{Nd}" + BMP + "]";
    static final String UNICODE_LETTER = "[\\p{L}" + BMP + "]";
    static final String SPACE = "[ \\t\\u00A0\\u2000-\\u200A\\u3000]";
    static final String NEWLINE = "(?:\\r\\n|[\\r\\n\\u2028\\u2029\\u000B\\u000C\\u0085])";
    static final String SPACENL = "(?:" + SPACE + "|" + NEWLINE + ")";
    static final String WORD = LETTER + LETTER_DIGIT + "*(?:[.!?]" + LETTER + LETTER_DIGIT + "*)*";
    static final String APOS = "(?:['\\u0092\\u2019]|&apos;)";
    static final String APOS_ETC = "(?:['\\u0092\\u2019`\\u0091\\u2018\\u201B]|&apos;)";
    static final String REDAUX = APOS + "(?:[msdMSD]|(?i:re|ve|ll))";
    static final String SWORD = "[A-Za-z\\u00AD]*[A-MO-Za-mo-z]\\u00AD*";
    static final String SREDAUX = "[nN]" + APOS_ETC + "[tT]";
    static final String HYPHEN = "[-_\\u058A\\u2010\\u2011]";
    static final String SGML = "<(?:[!?][A-Za-z-][^>\\r\\n]*|[A-Za-z][A-Za-z0-9_:.-]*(?:[ ]+(?:[A-Za-z][A-Za-z0-9_:.-]*"
            + "(?:[ ]*=[ ]*(?:'[^']*'|\"[^\"]*\"))?))*[ ]*/?|/[A-Za-z][A-Za-z0-9_:.-]*)[ ]*>";
    static final String SENTEND = SPACENL + "(?:" + SPACENL + "|[\\p{Lu}" + BMP + "]|" + SGML + ")";
    static final String ACRO_SPECIAL =
            "(?i:canada|sino|korean|eu|japan|non)-(?i:u\\.s)|(?i:u\\.s\\.-(?:u\\.k|u\\.s\\.s\\.r))";
    static final String ACRO = "(?:[A-Za-z](?:\\.[A-Za-z])*|" + ACRO_SPECIAL + ")";
    static final String ACRO2 = "(?:[A-Za-z](?:\\.[A-Za-z])+|" + ACRO_SPECIAL + ")";
    static final String THING_PART = "(?:[dDoOlL]" + APOS_ETC + ALNUM + ")?" + ALNUM + "+";
    static final String THING = THING_PART + "(?:" + HYPHEN + THING_PART + ")*";
    static final String HTHING = "[A-Za-z0-9][A-Za-z0-9.,\\u00AD]*(?:-(?:" + ACRO2 + "\\.|[A-Za-z0-9\\u00AD]+))+";
    static final String THINGA = "[A-Z]+(?:(?:[+&]|(?i:&amp;))[A-Z]+)+";
    static final String INSENTP = "[,;:\\u3001]";
    static final String ABBREV1 =
            "(?:(?i:jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|mon|tue|tues|wed|thu|thurs|fri"
                    + "|ala|ariz)|A(?i:z)|A(?i:rk)|(?i:calif|colo|conn|ct|dak)|D(?i:el)|(?i:fla|ga)|I(?i:ll)|(?i:ind|kans?|ky)"
                    + "|L(?i:a)|M(?i:ass)|(?i:md|mich|minn)|M(?i:iss)|(?i:mo|mont|neb|nev|okla)|O(?i:re)|P(?i:a)|(?i:penn|tenn)"
                    + "|T(?i:ex)|(?i:va|vt)|W(?i:ash)|(?i:wisc?|wyo|inc|cos?|corp)|(?i:pp?t)[ye](?i:s?)"
                    + "|(?i:ltd|plc|rt|bancorp|bhd|assn|univ|intl|sys|tel|est|ext|sq|jr|sr|bros|ed\\.d|ph\\.d|blvd|rd|esq|etc|al"
                    + "|seq|bldg))\\.";
    /** ABBREV4 without its {@code {ACRO}} alternative (kept apart so that the longer of the two wins). */
    static final String ABBREV4_WORDS =
            "(?:(?i:mr|mrs|ms)|M(?i:iss)|(?i:drs?|profs?|sens?|reps?|attys?|lt|col|gen|messrs"
                    + "|govs?|adm|rev|maj|sgt|cpl|pvt|capt|ste?|ave|pres|lieut|hon|brig|co?mdr|pfc|spc|supts?|det|mt|ft|adj|adv|asst"
                    + "|assoc|ens|insp|mlle|mme|msgr|sfc|vs|alex|wm|jos|cie|a\\.k\\.a|cf|treas|ph|invt|elec|natl)|(?i:m)[ft](?i:g)"
                    + "|(?i:dept))";

    static final String ABBREV4 = "(?:" + ABBREV4_WORDS + "|" + ACRO + ")";
    static final String FILENAME_EXT =
            "(?i:bat|bmp|c|class|cgi|cpp|dll|doc|docx|exe|gif|gz|h|htm|html|jar|java|jpeg|jpg"
                    + "|mov|mp3|pdf|php|pl|png|ppt|ps|py|sql|tar|txt|wav|x|xml|zip)";
    static final String URL_PATH = "(?:/[^ \\t\\n\\f\\r\"<>|()]+[^ \\t\\n\\f\\r\"<>|.!?(){},-])?";
    static final String DBLQUOT = "(?:\"|(?i:&quot;))";
    static final String MISC_SYMBOL =
            "[+%&~^|\\\\\\u00A6\\u00A7\\u00A8\\u00A9\\u00AC\\u00AE\\u00AF\\u00B0-\\u00BA\\u00D7"
                    + "\\u00F7\\u0387\\u05BE\\u05C0\\u05C3\\u05C6\\u05F3\\u05F4\\u0600-\\u0603\\u0606-\\u060A\\u060C\\u0614\\u061B"
                    + "\\u061E\\u066A\\u066D\\u0703-\\u070D\\u07F6-\\u07F8\\u0964\\u0965\\u0E4F\\u1FBD\\u2016\\u2017\\u2020-\\u2023"
                    + "\\u2030-\\u2038\\u203B\\u203E-\\u2042\\u2044\\u207A-\\u207F\\u208A-\\u208E\\u2100-\\u214F\\u2190-\\u21FF"
                    + "\\u2200-\\u2BFF\\u3012\\u30FB\\uFF01-\\uFF0F\\uFF1A-\\uFF20\\uFF3B-\\uFF40\\uFF5B-\\uFF65]";
    /** Words after which "X.Y." is taken as sentence-final (first letter case-sensitive, as in the lexer). */
    private static final String[] SENTENCE_STARTERS = {
        "About",
        "According",
        "Additionally",
        "After",
        "An",
        "A",
        "As",
        "At",
        "But",
        "Earlier",
        "He",
        "Her",
        "Here",
        "However",
        "If",
        "In",
        "It",
        "Last",
        "Many",
        "More",
        "Mr.",
        "Ms.",
        "Now",
        "Once",
        "One",
        "Other",
        "Our",
        "She",
        "Since",
        "So",
        "Some",
        "Such",
        "That",
        "The",
        "Their",
        "Then",
        "There",
        "These",
        "They",
        "This",
        "We",
        "When",
        "While",
        "What",
        "Yet",
        "You"
    };

    static final List<Rule> RULES = build();

    private static List<Rule> build() {
        IntPredicate letter = c -> c == '&' || (c <= 0xFFFF && (Character.isLetter(c) || (c >= 0xAD && c <= 0x0ECD)));
        IntPredicate digit = c -> c <= 0xFFFF && Character.isDigit(c);
        IntPredicate alnum = letter.or(digit);
        IntPredicate asciiAlnum = c -> c < 128 && Character.isLetterOrDigit(c);
        IntPredicate any = c -> true;
        IntPredicate apos = chars("'\u0092\u2019&");
        List<Rule> r = new ArrayList<>();
        r.add(rule("c++", chars("cC"), Act.KEEP, null, "(?i:c)[+][+]"));
        r.add(rule("c#", chars("cCfF"), Act.KEEP, null, "(?i:c|f)#"));
        r.add(rule("cannot", chars("cC"), Act.PUSHBACK, "3", "(?i:cannot)"));
        r.add(rule("'twas", chars("'"), Act.PUSHBACK, "3", "(?i:'twas)"));
        r.add(rule("'tis", chars("'"), Act.PUSHBACK, "2", "(?i:'tis)"));
        r.add(rule("gonna", chars("gGlLwW"), Act.PUSHBACK, "2", "(?i:gonna|gotta|lemme|gimme|wanna)"));
        r.add(rule("SGML", chars("<"), Act.NBSP, null, SGML));
        r.add(rule(
                "SPMDASH",
                chars("&\u0096\u0097\u2013\u2014\u2015"),
                Act.CONST,
                "--",
                "&(?i:md|mdash|ndash);|[\\u0096\\u0097\\u2013\\u2014\\u2015]"));
        r.add(rule("SPAMP", chars("&"), Act.AMP, null, "(?i:&amp;)"));
        r.add(rule("SPPUNC", chars("&"), Act.KEEP, null, "&(?i:ht|tl|ur|lr|qc|ql|qr|odq|cdq|#[0-9]+);"));
        r.add(rule("WORD/REDAUX", letter, Act.SOFT_HYPHENS, null, ctx(WORD, REDAUX))
                .needing(APOSTROPHES));
        r.add(rule("SWORD/SREDAUX", letter, Act.SOFT_HYPHENS, null, ctx(SWORD, SREDAUX))
                .needing(APOSTROPHES));
        r.add(rule("WORD", letter, Act.SOFT_HYPHENS, null, WORD));
        r.add(rule(
                        "APOWORD",
                        letter.or(apos),
                        Act.KEEP,
                        null,
                        APOS + "[nN]" + APOS + "?",
                        "[lLdDjJ]" + APOS,
                        "(?i:dunkin|somethin|ol)" + APOS,
                        APOS + "(?i:em|cause|till?)",
                        APOS + "[2-9]0[sS]",
                        "[A-HJ-XZn]" + APOS_ETC + UNICODE_LETTER + "{2}" + UNICODE_LETTER + "*",
                        UNICODE_LETTER + "+[aeiouyAEIOUY]" + APOS_ETC + "[aeiouA-Z]" + UNICODE_LETTER + "*",
                        "(?i:cont'd\\.?|'twas|nor'easter|c'mon|e'er|s'mores|ev'ry|li'l|nat'l)",
                        "[oO]" + APOS_ETC + "[oO]")
                .needing(APOSTROPHES));
        r.add(rule("APOWORD2", chars("yY"), Act.KEEP, null, ctx("[yY]" + APOS, UNICODE_LETTER))
                .needing(APOSTROPHES));
        r.add(rule(
                        "FULLURL",
                        chars("hH"),
                        Act.KEEP,
                        null,
                        "(?i:https?)://[^ \\t\\n\\f\\r\"<>|(){}]+[^ \\t\\n\\f\\r\"<>|.!?(){},-]")
                .needing(":"));
        // LIKELYURL's second class contains the range ",-_" (from ',' to '_'), as in the lexer.
        r.add(rule(
                        "LIKELYURL",
                        any,
                        Act.KEEP,
                        null,
                        "(?i:www)\\.(?:[^ \\t\\n\\f\\r\"<>|.!?(){},]+\\.)+[a-zA-Z]{2,4}" + URL_PATH,
                        "(?:[^ \\t\\n\\f\\r\"`'<>|.!?(){},-_$]+\\.)+(?i:com|net|org|edu)" + URL_PATH)
                .needing("."));
        r.add(rule(
                        "EMAIL",
                        asciiAlnum.or(chars("&<")),
                        Act.KEEP,
                        null,
                        "(?:(?i:&lt;)|<)?[a-zA-Z0-9][^ \\t\\n\\f\\r\"<>|()\\u00A0{}]*@"
                                + "(?:[^ \\t\\n\\f\\r\"<>|(){}.\\u00A0]+\\.)*[^ \\t\\n\\f\\r\"<>|(){}.\\u00A0]+(?:(?i:&gt;)|>)?")
                .needing("@"));
        r.add(rule("TWITTER", chars("@#"), Act.KEEP, null, "@[a-zA-Z_][a-zA-Z_0-9]*|#" + LETTER + "+"));
        r.add(rule("REDAUX/nonletter", apos, Act.QUOTE_RIGHT, null, ctx(REDAUX, "[^A-Za-z]")));
        r.add(rule("SREDAUX/nonletter", chars("nN"), Act.QUOTE_RIGHT, null, ctx(SREDAUX, "[^A-Za-z]")));
        r.add(rule("DATE", digit, Act.KEEP, null, DIGIT + "{1,2}[-/]" + DIGIT + "{1,2}[-/]" + DIGIT + "{2,4}"));
        r.add(rule(
                "NUMBER",
                digit.or(chars("+-.:,\u00AD\u066B\u066C")),
                Act.SOFT_HYPHENS,
                null,
                "[-+]?(?:" + DIGIT + "*(?:[.:,\\u00AD\\u066B\\u066C]" + DIGIT + "+)+|" + DIGIT + "+)"));
        r.add(
                rule(
                        "SUBSUPNUM",
                        c -> (c >= 0x2070 && c <= 0x208B) || (c >= 0xB2 && c <= 0xB3) || c == 0xB9,
                        Act.KEEP,
                        null,
                        "[\\u207A\\u207B\\u208A\\u208B]?(?:[\\u2070\\u00B9\\u00B2\\u00B3\\u2074-\\u2079]+|[\\u2080-\\u2089]+)"));
        r.add(rule(
                "FRAC",
                digit,
                Act.NBSP,
                null,
                "(?:" + DIGIT + "{1,4}[- \\u00A0])?" + DIGIT + "{1,4}(?:\\\\?/|\\u2044)" + DIGIT + "{1,4}"));
        r.add(rule(
                "FRAC2",
                c -> (c >= 0xBC && c <= 0xBE) || (c >= 0x2153 && c <= 0x215E),
                Act.FRACTION,
                null,
                "[\\u00BC\\u00BD\\u00BE\\u2153-\\u215E]"));
        r.add(rule(
                        "TBSPEC",
                        chars("-cCpPaAsS"),
                        Act.AMP,
                        null,
                        "-(?i:rrb|lrb|rcb|lcb|rsb|lsb)-",
                        "(?i:c\\.d\\.s)",
                        "(?i:pro-|anti-)",
                        "(?i:s)(?:&|(?i:&amp;))(?i:p-500)",
                        "(?i:s)(?:&|(?i:&amp;))(?i:ls)",
                        "(?i:cap)" + APOS + "(?i:n)",
                        "(?i:c)" + APOS + "(?i:est)")
                .needing("-&." + APOSTROPHES));
        r.add(rule(
                        "THING3",
                        asciiAlnum,
                        Act.KEEP,
                        null,
                        "[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}(?:\\\\?/[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}){1,2}")
                .needing("/"));
        r.add(rule("DOLSIGN", chars("$#ABCDEFGHIJKLMNOPQRSTUVWXYZ"), Act.KEEP, null, "[A-Z]*\\$|#"));
        r.add(
                rule(
                        "DOLSIGN2",
                        chars("\u00A2\u00A3\u00A4\u00A5\u0080\u20A0\u20AC\u060B\u0E3F\u20A4\uFFE0\uFFE1\uFFE5\uFFE6"),
                        Act.CURRENCY,
                        null,
                        "[\\u00A2\\u00A3\\u00A4\\u00A5\\u0080\\u20A0\\u20AC\\u060B\\u0E3F\\u20A4\\uFFE0\\uFFE1\\uFFE5\\uFFE6]"));
        StringBuilder starters = new StringBuilder();
        for (String w : SENTENCE_STARTERS) {
            starters.append(starters.length() == 0 ? "" : "|")
                    .append(w.charAt(0))
                    .append(w.length() > 1 ? "(?i:" + Pattern.quote(w.substring(1)) + ")" : "");
        }
        r.add(rule(
                        "ACRONYM/starter",
                        asciiAlnum,
                        Act.ACRONYM,
                        null,
                        ctx(ACRO + "\\.", SPACENL + "+(?:" + starters + "|" + SGML + ")" + SPACENL))
                .needing("."));
        r.add(rule(
                        "ABBREV3/digit",
                        letter,
                        Act.KEEP,
                        null,
                        ctx("(?i:ca|figs?|prop|nos?|art|bldg|pp|op)\\.", SPACENL + "?" + DIGIT))
                .needing("."));
        r.add(rule(
                        "pty.ltd",
                        chars("pPcC"),
                        Act.KEEP,
                        null,
                        ctx("(?:(?i:pt)[eyEY]|(?i:co))\\.", SPACE + "(?i:ltd|lim)"))
                .needing("."));
        r.add(rule("ABBREV1/SENTEND", letter, Act.ABBREV_REPEAT, null, ctx(ABBREV1, SENTEND))
                .needing("."));
        r.add(rule("ABBREV1/2chars", letter, Act.KEEP, null, ctx(ABBREV1, "[\\s\\S][\\s\\S]"))
                .needing("."));
        r.add(rule("ABBREV1", letter, Act.ABBREV_REPEAT, null, ABBREV1).needing("."));
        r.add(rule("ABBREV2", asciiAlnum, Act.KEEP, null, ABBREV4_WORDS + "\\.", ACRO + "\\.")
                .needing("."));
        r.add(rule("ABBREV4/SPACE", asciiAlnum, Act.KEEP, null, ctx(ABBREV4_WORDS, SPACE), ctx(ACRO, SPACE)));
        r.add(rule("ACRO/SPACENL", asciiAlnum, Act.KEEP, null, ctx(ACRO, SPACENL)));
        r.add(rule("TBSPEC2/SPACENL", apos, Act.KEEP, null, ctx(APOS + "[0-9][0-9]", SPACENL)));
        r.add(rule(
                        "FILENAME",
                        alnum,
                        Act.KEEP,
                        null,
                        ctx(
                                LETTER_DIGIT + "+(?:\\." + LETTER_DIGIT + "+)*\\." + FILENAME_EXT,
                                "(?:" + SPACENL + "|[.?!,])"))
                .needing("."));
        r.add(rule("WORD./INSENTP", letter, Act.SOFT_HYPHENS, null, ctx(WORD + "\\.", INSENTP))
                .needing("."));
        r.add(rule(
                "PHONE",
                digit.or(chars("(+")),
                Act.PHONE,
                null,
                "(?:\\([0-9]{2,3}\\)[ \\u00A0]?|(?:\\+\\+?)?(?:[0-9]{2,4}[- \\u00A0])?[0-9]{2,4}[- \\u00A0])"
                        + "[0-9]{3,4}[- \\u00A0]?[0-9]{3,5}",
                "(?:(?:\\+\\+?)?[0-9]{2,4}\\.)?[0-9]{2,4}\\.[0-9]{3,4}\\.[0-9]{3,5}"));
        r.add(rule("DBLQUOT/alnum", chars("\"&"), Act.QUOTE_LEFT, null, ctx(DBLQUOT, "[A-Za-z0-9$]")));
        r.add(rule("DBLQUOT", chars("\"&"), Act.QUOTE_RIGHT, null, DBLQUOT));
        r.add(rule("LESSTHAN", chars("<&"), Act.CONST, "<", "<|(?i:&lt;)"));
        r.add(rule("GREATERTHAN", chars(">&"), Act.CONST, ">", ">|(?i:&gt;)"));
        r.add(rule(
                "SMILEY",
                chars("<>:;="),
                Act.PARENS,
                null,
                ctx("[<>]?[:;=][-o*']?[()DPdpO\\\\{@|\\[\\]]", "[^A-Za-z0-9]")));
        // The lexer's first alternative reads "\[\^x=~<>]" outside a class: a literal "[^x=~<>]" (a typo kept as is).
        r.add(rule(
                "ASIANSMILEY",
                chars("^xX=~<>-'("),
                Act.PARENS,
                null,
                "[\\^x=~<>]\\.\\[\\^(?i:x)=~<>\\]",
                "[-\\^x=~<>']_[-\\^x=~<>']",
                "\\([-\\^x=~<>'][_.]?[-\\^x=~<>']\\)",
                "\\([\\^x=~<>']-[\\^x=~<>'`]\\)"));
        r.add(rule("{", chars("{"), Act.CONST, "-LCB-", "\\{"));
        r.add(rule("}", chars("}"), Act.CONST, "-RCB-", "\\}"));
        r.add(rule("[", chars("["), Act.CONST, "-LSB-", "\\["));
        r.add(rule("]", chars("]"), Act.CONST, "-RSB-", "\\]"));
        r.add(rule("(", chars("("), Act.CONST, "-LRB-", "\\("));
        r.add(rule(")", chars(")"), Act.CONST, "-RRB-", "\\)"));
        r.add(rule("HYPHENS", chars("-"), Act.HYPHENS, null, "-+"));
        r.add(rule(
                "LDOTS",
                chars(".\u0085\u2026"),
                Act.CONST,
                "...",
                "\\.{3,5}",
                "(?:\\.[ \\u00A0]){2,4}\\.",
                "[\\u0085\\u2026]"));
        r.add(rule("FNMARKS", chars("@#_"), Act.KEEP, null, "@+|#+|_+"));
        r.add(rule("ASTS", chars("*\\"), Act.KEEP, null, "\\*+", "(?:\\\\\\*){1,3}"));
        r.add(rule("INSENTP", chars(",;:\u3001"), Act.KEEP, null, INSENTP));
        r.add(rule("?!", chars("?!"), Act.KEEP, null, "[?!]+"));
        r.add(rule(
                "sentence end",
                chars(".\u00A1\u00BF\u037E\u0589\u061F\u06D4\u0700\u0701\u0702\u07FA\u3002"),
                Act.KEEP,
                null,
                "[.\\u00A1\\u00BF\\u037E\\u0589\\u061F\\u06D4\\u0700-\\u0702\\u07FA\\u3002]"));
        r.add(rule("=", chars("="), Act.KEEP, null, "="));
        r.add(rule("/", chars("/"), Act.KEEP, null, "/"));
        r.add(rule("HTHING./INSENTP", asciiAlnum, Act.SOFT_HYPHENS, null, ctx(HTHING + "\\.", INSENTP))
                .needing("-"));
        r.add(rule("HTHING", asciiAlnum, Act.SOFT_HYPHENS, null, HTHING).needing("-"));
        r.add(rule("THING./INSENTP", alnum, Act.KEEP, null, ctx(THING + "\\.", INSENTP))
                .needing("."));
        r.add(rule("THING", alnum, Act.KEEP, null, THING));
        r.add(rule("THINGA./INSENTP", asciiAlnum, Act.AMP, null, ctx(THINGA + "\\.", INSENTP))
                .needing("+&"));
        r.add(rule("THINGA", asciiAlnum, Act.AMP, null, THINGA).needing("+&"));
        r.add(rule("'/letter", chars("'"), Act.QUOTE_LEFT, null, ctx("'", "[A-Za-z][^ \\t\\n\\r\\u00A0]")));
        r.add(rule("REDAUX", apos, Act.QUOTE_RIGHT, null, REDAUX));
        r.add(rule("SREDAUX", chars("nN"), Act.QUOTE_RIGHT, null, SREDAUX));
        r.add(
                rule(
                        "QUOTES",
                        apos.or(
                                chars(
                                        "`\u0091\u0093\u0094\u2018\u201A\u201B\u201C\u201D\u201E\u201F\u2039\u203A\u00AB\u00BB")),
                        Act.QUOTE_RIGHT,
                        null,
                        APOS,
                        "''",
                        "[`\\u2018\\u2019\\u201A\\u201B\\u201C\\u201D\\u0091-\\u0094\\u201E\\u201F\\u2039\\u203A\\u00AB\\u00BB]{1,2}"));
        r.add(rule("FAKEDUCKFEET", chars("<>"), Act.KEEP, null, "<<|>>"));
        r.add(rule("MISCSYMBOL", c -> c >= 0xA6 || "+%&~^|\\".indexOf(c) >= 0, Act.KEEP, null, MISC_SYMBOL));
        IntPredicate blank = c -> c <= ' '
                || c == 0xA0
                || (c >= 0x2000 && c <= 0x200F)
                || c == 0x3000
                || c == 0xFEFF
                || c == 0x7F
                || c == '&'
                || c == 0x85
                || c == 0x2028
                || c == 0x2029;
        r.add(rule(
                "space",
                blank,
                Act.SKIP,
                null,
                "\\x00|" + SPACE + "+|[\\u200B\\u200E\\u200F\\uFEFF\\u007F]|" + NEWLINE + "|(?i:&nbsp;)"));
        r.add(rule("untokenizable", any, Act.SKIP, null, "[\\s\\S]"));
        return List.copyOf(r);
    }

    /** {@code text/context}: the text group followed by JFlex trailing context. */
    private static String ctx(String text, String context) {
        return "(?<t>" + text + ")(?:" + context + ")";
    }

    private static Rule rule(String name, IntPredicate first, Act act, String arg, String... regexes) {
        Pattern[] ps = new Pattern[regexes.length];
        for (int i = 0; i < regexes.length; i++) {
            String re = regexes[i].contains("(?<t>") ? regexes[i] : "(?<t>" + regexes[i] + ")";
            ps[i] = Pattern.compile(re);
        }
        return new Rule(name, ps, first, act, arg, null);
    }

    private static IntPredicate chars(String s) {
        return c -> s.indexOf(c) >= 0;
    }
}
