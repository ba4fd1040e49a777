package org.blip4j.shapes;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Asks questions whose answer is unambiguous by construction: objects are referred to only by descriptions that fit
 * exactly one of them, and relation questions only where exactly one object clearly stands in that relation and no
 * other is a borderline case.
 */
final class QuestionGenerator {
    /** Chance that a question's ten annotator answers include one or two mistakes. */
    static final double ANNOTATOR_NOISE = 0.3;

    private final int maxObjects;

    QuestionGenerator(int maxObjects) {
        this.maxObjects = maxObjects;
    }

    /** A description of one object and the words that refer to it ("small circle", "red star"). */
    private record Ref(SceneObject object, String words) {}

    /** Up to {@code n} different questions about the scene, types drawn evenly among those that apply. */
    List<Question> generate(Scene s, Rng rng, int n) {
        return generate(s, rng, n, null);
    }

    /**
     * Up to {@code n} different questions about the scene, each try's type drawn with {@code typeWeights} (indexed by
     * {@link Question.Type#ordinal()}; null draws evenly, as {@link #generate(Scene, Rng, int)}). A type the scene
     * allows no unambiguous question of is skipped, so the mix of what comes out also follows the scenes.
     */
    List<Question> generate(Scene s, Rng rng, int n, double[] typeWeights) {
        Question.Type[] types = Question.Type.values();
        Map<String, Question> out = new LinkedHashMap<>();
        for (int tries = 0; out.size() < n && tries < 40 * n; tries++) {
            Question.Type type = typeWeights == null ? rng.pick(types) : types[rng.weighted(typeWeights)];
            String[] qa = ask(type, s, rng);
            if (qa != null && !out.containsKey(qa[0])) {
                out.put(qa[0], new Question(qa[0], qa[1], type, annotators(type, qa[1], rng)));
            }
        }
        return new ArrayList<>(out.values());
    }

    /** {question, answer} of one type, or null where the scene allows no unambiguous question of it. */
    String[] ask(Question.Type type, Scene s, Rng rng) {
        switch (type) {
            case COLOR:
                return color(s, rng);
            case SHAPE:
                return shape(s, rng);
            case COUNT:
                return count(s, rng);
            case EXIST:
                return exist(s, rng);
            default:
                return relation(s, rng);
        }
    }

    private String[] color(Scene s, Rng rng) {
        List<Ref> refs = shapeRefs(s);
        if (refs.isEmpty()) {
            return null;
        }
        Ref r = rng.pick(refs);
        return new String[] {
            String.format(rng.pick(COLOR_FORMS), r.words()), r.object().color().word()
        };
    }

    private static final String[] COLOR_FORMS = {
        "what color is the %s?", "what is the color of the %s?", "what color is the %s in the image?"
    };

    /** How a relation question that asks for a colour begins ("what color is the object left of the diamond?"). */
    private static final String COLOR_RELATION = "what color is the object ";

    /**
     * The minimal partner of a relation question that asks for a colour: the same scene asked for the colour of the
     * question's referent ("what color is the object left of the diamond?" → "what color is the diamond?"), whose
     * answer is the referent's own colour — the answer a model that skips the relation gives. Null for any other
     * question, or when its words do not name exactly one object of the scene (the names relation questions use).
     */
    Question referentQuestion(Question relation, Scene s, Rng rng) {
        if (relation.type() != Question.Type.RELATION || !relation.text().startsWith(COLOR_RELATION)) {
            return null;
        }
        String t = relation.text();
        int at = t.lastIndexOf(" the ");
        if (at < 0 || !t.endsWith("?")) {
            return null;
        }
        String words = t.substring(at + 5, t.length() - 1);
        Ref referent = shapeOrColorShapeRefs(s).stream()
                .filter(r -> r.words().equals(words))
                .findFirst()
                .orElse(null);
        if (referent == null) {
            return null;
        }
        String answer = referent.object().color().word();
        return new Question(
                String.format(rng.pick(COLOR_FORMS), words),
                answer,
                Question.Type.COLOR,
                annotators(Question.Type.COLOR, answer, rng));
    }

    private String[] shape(Scene s, Rng rng) {
        List<Ref> refs = new ArrayList<>();
        for (SceneObject o : s.objects()) {
            if (s.count(null, o.color(), null) == 1) {
                refs.add(new Ref(o, o.color().word()));
            } else if (s.count(o.size(), o.color(), null) == 1) {
                refs.add(new Ref(o, o.size().word() + " " + o.color().word()));
            }
        }
        if (refs.isEmpty()) {
            return null;
        }
        Ref r = rng.pick(refs);
        String[] forms = {
            "what shape is the %s object?",
            "what is the %s shape?",
            "which shape is %s?",
            "what kind of shape is the %s object?"
        };
        String form = rng.pick(forms);
        if (form.startsWith("which") && r.words().contains(" ")) {
            form = forms[0];
        }
        return new String[] {String.format(form, r.words()), r.object().shape().word()};
    }

    private String[] count(Scene s, Rng rng) {
        List<SceneObject> objs = s.objects();
        SceneObject o = rng.pick(objs);
        String[] tails = {"are there?", "are in the image?", "can you see?"};
        String tail = rng.pick(tails);
        switch (rng.weighted(0.4, 0.2, 0.2, 0.2)) {
            case 0: {
                ShapeKind k = rng.chance(0.75) ? o.shape() : rng.pick(ShapeKind.values());
                return new String[] {"how many " + k.plural() + " " + tail, digit(s.count(null, null, k))};
            }
            case 1: {
                ShapeColor c = rng.chance(0.8) ? o.color() : rng.pick(ShapeColor.values());
                String noun = rng.chance(0.5) ? "objects" : "shapes";
                return new String[] {"how many " + c.word() + " " + noun + " " + tail, digit(s.count(null, c, null))};
            }
            case 2:
                return new String[] {
                    "how many " + o.color().word() + " " + o.shape().plural() + " " + tail,
                    digit(s.count(null, o.color(), o.shape()))
                };
            default: {
                String noun = rng.chance(0.5) ? "objects" : "shapes";
                return new String[] {"how many " + noun + " " + tail, digit(objs.size())};
            }
        }
    }

    private String[] exist(Scene s, Rng rng) {
        boolean yes = rng.chance(0.5);
        SceneObject o = rng.pick(s.objects());
        int form = rng.weighted(0.5, 0.3, 0.2);
        ShapeColor c = o.color();
        ShapeKind k = o.shape();
        if (!yes) {
            // a near miss: keep one attribute of a present object, change the other
            List<ShapeColor> colors = new ArrayList<>(List.of(ShapeColor.values()));
            List<ShapeKind> kinds = new ArrayList<>(List.of(ShapeKind.values()));
            rng.shuffle(colors);
            rng.shuffle(kinds);
            c = null;
            k = null;
            if (form == 0) {
                boolean keepShape = rng.chance(0.5);
                for (ShapeColor cc : colors) {
                    for (ShapeKind kk : kinds) {
                        if ((keepShape ? kk == o.shape() : cc == o.color())
                                && s.count(null, cc, kk) == 0
                                && c == null) {
                            c = cc;
                            k = kk;
                        }
                    }
                }
            } else if (form == 1) {
                for (ShapeKind kk : kinds) {
                    if (s.count(null, null, kk) == 0 && k == null) {
                        k = kk;
                    }
                }
            } else {
                for (ShapeColor cc : colors) {
                    if (s.count(null, cc, null) == 0 && c == null) {
                        c = cc;
                    }
                }
            }
            if (c == null && k == null) {
                return null;
            }
        }
        String q;
        if (form == 0) {
            q = "is there " + Caption.article(c.word()) + " " + c.word() + " " + k.word() + "?";
        } else if (form == 1) {
            q = rng.chance(0.5)
                    ? "is there " + Caption.article(k.word()) + " " + k.word() + "?"
                    : "is there " + Caption.article(k.word()) + " " + k.word() + " in the image?";
        } else {
            q = "are there any " + c.word() + " objects?";
        }
        return new String[] {q, yes ? "yes" : "no"};
    }

    private String[] relation(Scene s, Rng rng) {
        List<String[]> options = new ArrayList<>();
        for (Ref ref : shapeOrColorShapeRefs(s)) {
            for (Relation r : Relation.values()) {
                SceneObject target = null;
                int clear = 0;
                boolean borderline = false;
                for (SceneObject o : s.objects()) {
                    if (o == ref.object()) {
                        continue;
                    }
                    Relation.Truth t = s.relation(o, r, ref.object());
                    if (t == Relation.Truth.TRUE) {
                        clear++;
                        target = o;
                    } else if (t == Relation.Truth.AMBIGUOUS) {
                        borderline = true;
                    }
                }
                if (clear != 1 || borderline) {
                    continue;
                }
                String rel = r == Relation.LEFT_OF || r == Relation.RIGHT_OF
                        ? (rng.chance(0.5) ? "to the " : "") + r.questionPhrase()
                        : r.questionPhrase();
                switch (rng.nextInt(3)) {
                    case 0:
                        options.add(new String[] {
                            "what is " + rel + " the " + ref.words() + "?",
                            target.shape().word()
                        });
                        break;
                    case 1:
                        options.add(new String[] {
                            "what shape is " + rel + " the " + ref.words() + "?",
                            target.shape().word()
                        });
                        break;
                    default:
                        options.add(new String[] {
                            "what color is the object " + rel + " the " + ref.words() + "?",
                            target.color().word()
                        });
                        break;
                }
            }
        }
        return options.isEmpty() ? null : rng.pick(options);
    }

    /** Objects named unambiguously by their shape, or by size and shape. */
    private static List<Ref> shapeRefs(Scene s) {
        List<Ref> refs = new ArrayList<>();
        for (SceneObject o : s.objects()) {
            if (s.count(null, null, o.shape()) == 1) {
                refs.add(new Ref(o, o.shape().word()));
            } else if (s.count(o.size(), null, o.shape()) == 1) {
                refs.add(new Ref(o, o.size().word() + " " + o.shape().word()));
            }
        }
        return refs;
    }

    /** Objects named unambiguously by their shape, or by colour and shape. */
    private static List<Ref> shapeOrColorShapeRefs(Scene s) {
        List<Ref> refs = new ArrayList<>();
        for (SceneObject o : s.objects()) {
            if (s.count(null, null, o.shape()) == 1) {
                refs.add(new Ref(o, o.shape().word()));
            } else if (s.count(null, o.color(), o.shape()) == 1) {
                refs.add(new Ref(o, o.color().word() + " " + o.shape().word()));
            }
        }
        return refs;
    }

    /** Ten annotator answers: the correct one, sometimes with one or two same-type mistakes. */
    private List<String> annotators(Question.Type type, String answer, Rng rng) {
        List<String> out = new ArrayList<>(Collections.nCopies(10, answer));
        if (rng.chance(ANNOTATOR_NOISE)) {
            int wrong = 1 + rng.nextInt(2);
            for (int i = 0; i < wrong; i++) {
                out.set(rng.nextInt(10), mistake(answer, rng));
            }
        }
        return out;
    }

    private String mistake(String answer, Rng rng) {
        if (answer.equals("yes") || answer.equals("no")) {
            return answer.equals("yes") ? "no" : "yes";
        }
        if (Character.isDigit(answer.charAt(0))) {
            int n = Integer.parseInt(answer);
            return digit(n == 0 ? 1 : n >= maxObjects || rng.chance(0.5) ? n - 1 : n + 1);
        }
        if (ShapeColor.fromWord(answer) != null) {
            ShapeColor c;
            do {
                c = rng.pick(ShapeColor.values());
            } while (c.word().equals(answer));
            return c.word();
        }
        ShapeKind k;
        do {
            k = rng.pick(ShapeKind.values());
        } while (k.word().equals(answer));
        return k.word();
    }

    static String digit(int n) {
        return Integer.toString(n);
    }
}
