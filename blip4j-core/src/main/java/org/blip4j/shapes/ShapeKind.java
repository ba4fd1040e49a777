package org.blip4j.shapes;

import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.util.List;
import java.util.Locale;

/** The kinds of object in the shapes world, with their caption words and outlines in unit coordinates. */
public enum ShapeKind {
    CIRCLE(List.of("circle", "disk"), List.of("circles", "disks")),
    SQUARE(List.of("square", "box"), List.of("squares", "boxes")),
    TRIANGLE(List.of("triangle"), List.of("triangles")),
    STAR(List.of("star"), List.of("stars")),
    RECTANGLE(List.of("rectangle", "bar"), List.of("rectangles", "bars")),
    DIAMOND(List.of("diamond", "rhombus"), List.of("diamonds", "rhombuses")),
    CROSS(List.of("cross", "plus"), List.of("crosses", "pluses")),
    HEXAGON(List.of("hexagon"), List.of("hexagons")),
    ELLIPSE(List.of("ellipse", "oval"), List.of("ellipses", "ovals"));

    private final List<String> words;
    private final List<String> plurals;

    ShapeKind(List<String> words, List<String> plurals) {
        this.words = words;
        this.plurals = plurals;
    }

    /** The canonical (first) word: used in questions, answers and statements. */
    public String word() {
        return words.get(0);
    }

    /** The canonical plural. */
    public String plural() {
        return plurals.get(0);
    }

    /** Singular synonyms, canonical first. */
    public List<String> words() {
        return words;
    }

    /** Plural synonyms, in the order of {@link #words()}. */
    public List<String> plurals() {
        return plurals;
    }

    /** The kind a singular or plural word names, or null. */
    public static ShapeKind fromWord(String w) {
        for (ShapeKind k : values()) {
            if (k.words.contains(w) || k.plurals.contains(w)) {
                return k;
            }
        }
        return null;
    }

    /** Lower-case name as written in scene descriptions. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Draws a rotation in degrees that keeps the kind recognisable (a square never turns into a diamond). */
    double sampleRotation(Rng rng) {
        switch (this) {
            case CIRCLE:
                return 0;
            case SQUARE:
            case CROSS:
                return rng.uniform(-20, 20);
            case DIAMOND:
                return rng.uniform(-12, 12);
            case RECTANGLE:
                return (rng.chance(0.5) ? 0 : 90) + rng.uniform(-20, 20);
            default:
                return rng.uniform(0, 360);
        }
    }

    /**
     * The outline in unit coordinates (the nominal extent is about [-1, 1]), y pointing down, with the proportions of
     * {@code o} (its {@link Outline#scale()} applies in {@link #path}).
     */
    Path2D.Double unitPath(Outline o) {
        switch (this) {
            case CIRCLE:
                return new Path2D.Double(new Ellipse2D.Double(-1, -1, 2, 2));
            case ELLIPSE: {
                double h = o.ellipseHalfHeight();
                return new Path2D.Double(new Ellipse2D.Double(-1.1, -h, 2.2, 2 * h));
            }
            case SQUARE:
                return polygon(-0.85, -0.85, 0.85, -0.85, 0.85, 0.85, -0.85, 0.85);
            case RECTANGLE: {
                double h = o.rectangleHalfHeight();
                return polygon(-1.1, -h, 1.1, -h, 1.1, h, -1.1, h);
            }
            case DIAMOND: {
                double w = o.diamondHalfWidth();
                return polygon(0, -1.1, w, 0, 0, 1.1, -w, 0);
            }
            case TRIANGLE:
                return regular(3, 1.15, -90);
            case HEXAGON:
                return regular(6, 1.0, 0);
            case STAR: {
                double[] xy = new double[20];
                for (int i = 0; i < 10; i++) {
                    double r = i % 2 == 0 ? 1.15 : o.starInner();
                    double a = StrictMath.toRadians(-90 + 36 * i);
                    xy[2 * i] = r * StrictMath.cos(a);
                    xy[2 * i + 1] = r * StrictMath.sin(a);
                }
                return polygon(xy);
            }
            case CROSS: {
                double t = o.crossHalfWidth();
                return polygon(-t, -1, t, -1, t, -t, 1, -t, 1, t, t, t, t, 1, -t, 1, -t, t, -1, t, -1, -t, -t, -t);
            }
            default:
                throw new AssertionError(this);
        }
    }

    /** The outline placed in an image: scaled by radius, rotated by degrees, centred at (x, y). */
    Path2D.Double path(double x, double y, double radius, double rotationDeg) {
        return path(x, y, radius, rotationDeg, Outline.STANDARD);
    }

    /** The same with the proportions of {@code o}. */
    Path2D.Double path(double x, double y, double radius, double rotationDeg, Outline o) {
        AffineTransform t = new AffineTransform();
        t.translate(x, y);
        t.rotate(StrictMath.toRadians(rotationDeg));
        t.scale(radius * o.scale(), radius * o.scale());
        Path2D.Double p = unitPath(o);
        p.transform(t);
        return p;
    }

    private static Path2D.Double regular(int n, double r, double startDeg) {
        double[] xy = new double[2 * n];
        for (int i = 0; i < n; i++) {
            double a = StrictMath.toRadians(startDeg + 360.0 * i / n);
            xy[2 * i] = r * StrictMath.cos(a);
            xy[2 * i + 1] = r * StrictMath.sin(a);
        }
        return polygon(xy);
    }

    private static Path2D.Double polygon(double... xy) {
        Path2D.Double p = new Path2D.Double();
        p.moveTo(xy[0], xy[1]);
        for (int i = 2; i < xy.length; i += 2) {
            p.lineTo(xy[i], xy[i + 1]);
        }
        p.closePath();
        return p;
    }
}
